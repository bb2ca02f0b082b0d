"""Checks on user input that produce `userErrors`, collected so one answer lists them all."""

from __future__ import annotations

import re
import unicodedata

from permissions.text import tr
from resolvers.errors import ErrorCode, FieldError, UserErrors
from resolvers.ids import decode_id

# Tab and line breaks are text; other control characters (and bidi overrides) are not.
_ALLOWED_CONTROLS = {"\n", "\t", "\r"}
_BIDI_OVERRIDES = {
    "\u202a",
    "\u202b",
    "\u202c",
    "\u202d",
    "\u202e",
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",
}


def _has_forbidden_characters(text: str, multiline: bool) -> bool:
    for ch in text:
        if ch in _BIDI_OVERRIDES:
            return True
        if unicodedata.category(ch) == "Cc" and not (multiline and ch in _ALLOWED_CONTROLS):
            return True
    return False


# Categories no glyph stands for: format characters (zero-width space, joiners, BOM...),
# separators, marks with nothing to combine with, unassigned code points.
_INVISIBLE_CATEGORIES = {"Cc", "Cf", "Zs", "Zl", "Zp", "Mn", "Me", "Cn"}
# Letters and symbols that render as blanks.
_BLANK_CHARACTERS = {"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800"}


def has_visible_character(text: str) -> bool:
    return any(
        ch not in _BLANK_CHARACTERS and unicodedata.category(ch) not in _INVISIBLE_CATEGORIES
        for ch in text
    )


def has_control_characters(text: str) -> bool:
    """For search terms and other one-line arguments that are not stored."""
    return _has_forbidden_characters(text, multiline=False)


class Checks:
    """Accumulates field errors; `raise_if_any()` ends a mutation before it writes."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, field: str | None, code: ErrorCode, message: str) -> None:
        self.errors.append(FieldError(field, code, message))

    def raise_if_any(self) -> None:
        if self.errors:
            raise UserErrors(self.errors)

    def text(self, field: str, value: str, *, max_length: int, multiline: bool = False) -> str:
        """`value` trimmed (and NFC-normalised); errors for empty (no visible character), too
        long or control chars."""
        cleaned = unicodedata.normalize("NFC", value).strip()
        forbidden = _has_forbidden_characters(cleaned, multiline)
        if not forbidden and not has_visible_character(cleaned):
            self.add(field, ErrorCode.REQUIRED, tr("Ce champ est obligatoire."))
        elif len(cleaned) > max_length:
            self.add(
                field,
                ErrorCode.TOO_LONG,
                tr("{max_length} caractères au maximum.", max_length=max_length),
            )
        elif forbidden:
            self.add(
                field,
                ErrorCode.INVALID_CHARACTERS,
                tr("Ce texte contient des caractères interdits."),
            )
        return cleaned

    def optional_text(
        self, field: str, value: str | None, *, max_length: int, multiline: bool = False
    ) -> str | None:
        if value is None:
            return None
        cleaned = unicodedata.normalize("NFC", value).strip()
        if not has_visible_character(cleaned) and not _has_forbidden_characters(cleaned, multiline):
            return None
        return self.text(field, cleaned, max_length=max_length, multiline=multiline)

    def email(self, field: str, value: str) -> str:
        """The address trimmed and lower-cased; INVALID_EMAIL for anything an e-mail header
        could not carry as it is (quotes, brackets, commas, line breaks, non-ASCII)."""
        address = self.text(field, value, max_length=254).casefold()
        if address and not any(e.field == field for e in self.errors) and not is_email(address):
            self.add(field, ErrorCode.INVALID_EMAIL, tr("Adresse e-mail invalide."))
        return address

    def global_id(self, field: str, raw: str, *type_names: str) -> int:
        """The primary key in `raw`, an ID of one of `type_names`; INVALID_ID (and 0) for a
        malformed or foreign ID."""
        pk = next((p for t in type_names if (p := decode_id(raw, t)) is not None), None)
        if pk is None:
            self.add(field, ErrorCode.INVALID_ID, tr("Identifiant invalide."))
            return 0
        return pk

    def person(self, field: str, raw: str) -> int:
        """The account a person's ID names: the `Resident` ID their authors, participants and
        reporters carry, or (the older form, still accepted) the `Account` ID of a viewer."""
        return self.global_id(field, raw, "Resident", "Account")


EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


def is_email(address: str) -> bool:
    if not EMAIL_PATTERN.match(address):
        return False
    # Imported on first use: its tables cost CPU at every process start (bench.startup).
    from email_validator import EmailNotValidError, validate_email

    try:
        checked = validate_email(
            address,
            check_deliverability=False,
            allow_smtputf8=False,
            allow_quoted_local=False,
            allow_domain_literal=False,
        )
    except EmailNotValidError:
        return False
    return checked.normalized.casefold() == address


HOUSE_NUMBER_PATTERN = re.compile(
    r"^[0-9]{1,5}[A-Za-z]{0,2}(?:\s*(?:/|bte|bus|boîte)\s*[0-9A-Za-z]{1,5})?$", re.I
)
