"""Errors the user can fix: they end up in a payload's `userErrors`, each with a code from the
closed set below, which the schema exposes as the `UserErrorCode` enum."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ErrorCode(StrEnum):
    """Every code a `userErrors` entry can carry. `DESCRIPTIONS` documents each in the SDL."""

    ACCOUNT_SUSPENDED = "ACCOUNT_SUSPENDED"
    ALREADY_APPEALED = "ALREADY_APPEALED"
    ALREADY_DECIDED = "ALREADY_DECIDED"
    ALREADY_REPORTED = "ALREADY_REPORTED"
    ALREADY_VERIFIED = "ALREADY_VERIFIED"
    CANNOT_MESSAGE_SELF = "CANNOT_MESSAGE_SELF"
    CANNOT_MODERATE_SELF = "CANNOT_MODERATE_SELF"
    CANNOT_REPORT_OWN = "CANNOT_REPORT_OWN"
    CANNOT_SUSPEND_ADMIN = "CANNOT_SUSPEND_ADMIN"
    CLOSES_IN_PAST = "CLOSES_IN_PAST"
    CONSULTATION_CLOSED = "CONSULTATION_CLOSED"
    DUPLICATE_OPTION = "DUPLICATE_OPTION"
    EMAIL_ALREADY_CONFIRMED = "EMAIL_ALREADY_CONFIRMED"
    EMAIL_TAKEN = "EMAIL_TAKEN"
    EMAIL_UNCHANGED = "EMAIL_UNCHANGED"
    EMPTY_TARGET = "EMPTY_TARGET"
    EVENT_ENDS_BEFORE_START = "EVENT_ENDS_BEFORE_START"
    EVENT_OVER = "EVENT_OVER"
    EVENT_TOO_LONG = "EVENT_TOO_LONG"
    INVALID_CHARACTERS = "INVALID_CHARACTERS"
    INVALID_CODE = "INVALID_CODE"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    INVALID_EMAIL = "INVALID_EMAIL"
    INVALID_HOUSE_NUMBER = "INVALID_HOUSE_NUMBER"
    INVALID_ID = "INVALID_ID"
    INVALID_KIND = "INVALID_KIND"
    INVALID_TARGET = "INVALID_TARGET"
    INVALID_TOKEN = "INVALID_TOKEN"
    INVALID_UNTIL = "INVALID_UNTIL"
    LETTER_LOCKED = "LETTER_LOCKED"
    NEIGHBOURHOOD_NOT_ACTIVE = "NEIGHBOURHOOD_NOT_ACTIVE"
    NOT_AN_EVENT = "NOT_AN_EVENT"
    NOT_APPEALABLE = "NOT_APPEALABLE"
    NOT_FOUND = "NOT_FOUND"
    NOT_VERIFIED = "NOT_VERIFIED"
    NO_PASSWORD = "NO_PASSWORD"
    NO_PENDING_LETTER = "NO_PENDING_LETTER"
    PASSWORD_TOO_COMMON = "PASSWORD_TOO_COMMON"
    PASSWORD_TOO_SHORT = "PASSWORD_TOO_SHORT"
    PHOTO_IN_USE = "PHOTO_IN_USE"
    RATE_LIMITED = "RATE_LIMITED"
    REASON_TOO_SHORT = "REASON_TOO_SHORT"
    REQUIRED = "REQUIRED"
    TOKEN_EXPIRED = "TOKEN_EXPIRED"
    TOKEN_USED = "TOKEN_USED"
    TOO_FEW_OPTIONS = "TOO_FEW_OPTIONS"
    TOO_LONG = "TOO_LONG"
    TOO_MANY_IDS = "TOO_MANY_IDS"
    TOO_MANY_OPTIONS = "TOO_MANY_OPTIONS"
    TOO_MANY_PHOTOS = "TOO_MANY_PHOTOS"
    TOO_MANY_TARGETS = "TOO_MANY_TARGETS"
    TOO_MANY_TOPICS = "TOO_MANY_TOPICS"
    UNKNOWN_LANGUAGE = "UNKNOWN_LANGUAGE"
    UNKNOWN_TOPIC = "UNKNOWN_TOPIC"
    VERSION_CONFLICT = "VERSION_CONFLICT"
    WRONG_PASSWORD = "WRONG_PASSWORD"


DESCRIPTIONS: dict[ErrorCode, str] = {
    ErrorCode.ACCOUNT_SUSPENDED: "The account is suspended by a moderator: it may not sign in.",
    ErrorCode.ALREADY_APPEALED: "This moderation decision has already been appealed (once only).",
    ErrorCode.ALREADY_DECIDED: "The appeal has already been decided.",
    ErrorCode.ALREADY_REPORTED: "The caller has already reported this content.",
    ErrorCode.ALREADY_VERIFIED: "The address is already verified.",
    ErrorCode.CANNOT_MESSAGE_SELF: "A resident cannot write to themselves.",
    ErrorCode.CANNOT_MODERATE_SELF: "A moderator cannot suspend or reinstate themselves.",
    ErrorCode.CANNOT_REPORT_OWN: "A resident cannot report their own content.",
    ErrorCode.CANNOT_SUSPEND_ADMIN: "Administrators cannot be suspended.",
    ErrorCode.CLOSES_IN_PAST: "A consultation's closing date must be in the future.",
    ErrorCode.CONSULTATION_CLOSED: "The consultation is closed: answers no longer change.",
    ErrorCode.DUPLICATE_OPTION: "Two options of a consultation are the same.",
    ErrorCode.EMAIL_ALREADY_CONFIRMED: "The account's e-mail address is already confirmed.",
    ErrorCode.EMAIL_TAKEN: "An account already uses this e-mail address.",
    ErrorCode.EMAIL_UNCHANGED: "The new e-mail address is the current one.",
    ErrorCode.EMPTY_TARGET: "The announcement's target lists no neighbourhood or street.",
    ErrorCode.EVENT_ENDS_BEFORE_START: "An event's end must come after its start.",
    ErrorCode.EVENT_OVER: "The event is over: it is too late to create it, or to say one comes.",
    ErrorCode.EVENT_TOO_LONG: "An event lasts at most a year.",
    ErrorCode.INVALID_CHARACTERS: "The text holds control or direction-override characters.",
    ErrorCode.INVALID_CODE: "The verification code is wrong; the message says how many tries are left.",
    ErrorCode.INVALID_CREDENTIALS: "Unknown e-mail address or wrong password (never says which).",
    ErrorCode.INVALID_EMAIL: "The e-mail address is malformed.",
    ErrorCode.INVALID_HOUSE_NUMBER: "The house number is malformed (12, 12A, 12 bte 3 are valid).",
    ErrorCode.INVALID_ID: "The id is malformed or names an object of another type.",
    ErrorCode.INVALID_KIND: "This kind of decision is not accepted here.",
    ErrorCode.INVALID_TARGET: "The target's scope and its lists of places do not match.",
    ErrorCode.INVALID_TOKEN: "The link's token is malformed, forged or for another purpose.",
    ErrorCode.INVALID_UNTIL: "A suspension's end must be in the future.",
    ErrorCode.LETTER_LOCKED: "Too many wrong codes: the letter is locked until a new one is issued.",
    ErrorCode.NEIGHBOURHOOD_NOT_ACTIVE: "The neighbourhood is not active yet: nobody may post there.",
    ErrorCode.NOT_AN_EVENT: "Dates, place and attendance belong to posts of kind EVENT only.",
    ErrorCode.NOT_APPEALABLE: "The decision does not concern the caller, or cannot be appealed.",
    ErrorCode.NOT_FOUND: "The object does not exist or is out of the caller's reach.",
    ErrorCode.NOT_VERIFIED: "The resident must verify their address first.",
    ErrorCode.NO_PASSWORD: "The account signs in with a token, not a password: an operator deletes it.",
    ErrorCode.NO_PENDING_LETTER: "The account has no verification letter waiting for a code.",
    ErrorCode.PASSWORD_TOO_COMMON: "The password is too common, or made of the name or e-mail.",
    ErrorCode.PASSWORD_TOO_SHORT: "The password is shorter than the minimum length.",
    ErrorCode.PHOTO_IN_USE: "The photo already goes with another post or message.",
    ErrorCode.RATE_LIMITED: "Too many attempts in a short time: `retryAfter` says how many seconds to wait.",
    ErrorCode.REASON_TOO_SHORT: "A moderation reason is too short to be useful to its reader.",
    ErrorCode.REQUIRED: "The field is required and was empty.",
    ErrorCode.TOKEN_EXPIRED: "The link's token has expired: ask for a new one.",
    ErrorCode.TOKEN_USED: "The link's token was already used (each works once).",
    ErrorCode.TOO_FEW_OPTIONS: "A consultation needs at least two options.",
    ErrorCode.TOO_LONG: "The text is longer than the field allows.",
    ErrorCode.TOO_MANY_IDS: "Too many ids in one request.",
    ErrorCode.TOO_MANY_OPTIONS: "A consultation has too many options.",
    ErrorCode.TOO_MANY_PHOTOS: "Too many photos: four per post, one per message.",
    ErrorCode.TOO_MANY_TARGETS: "An announcement targets too many places.",
    ErrorCode.TOO_MANY_TOPICS: "A post carries too many topics.",
    ErrorCode.UNKNOWN_LANGUAGE: "The language is not one of fr, nl, en.",
    ErrorCode.UNKNOWN_TOPIC: "The topic is not in the city's taxonomy.",
    ErrorCode.VERSION_CONFLICT: "The post changed since it was read: reload it and edit again.",
    ErrorCode.WRONG_PASSWORD: "The password does not match the account's: nothing was deleted.",
}


@dataclass(frozen=True)
class FieldError:
    field: str | None
    code: ErrorCode
    message: str
    # Seconds to wait before trying again (RATE_LIMITED only).
    retry_after: int | None = None


class UserErrors(Exception):
    """Raised by a mutation that wrote nothing; the schema turns it into `userErrors`."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = errors


def fail(field: str | None, code: ErrorCode, message: str) -> UserErrors:
    return UserErrors([FieldError(field, code, message)])
