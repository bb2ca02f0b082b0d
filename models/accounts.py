"""Accounts, their roles, sign-in tokens and address verification letters."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from tortoise import fields

from models.base import Model
from models.geography import City, Neighbourhood, Street


class Role(StrEnum):
    RESIDENT = "RESIDENT"
    CITY_STAFF = "CITY_STAFF"
    CITY_INTEGRATION = "CITY_INTEGRATION"
    MODERATOR = "MODERATOR"
    ADMIN = "ADMIN"


class Language(StrEnum):
    """What a person reads comes in one of these; French when nothing says otherwise."""

    FR = "fr"
    NL = "nl"
    EN = "en"


class Account(Model):
    id = fields.IntField(primary_key=True)
    # Lower-cased on the way in; null for API-token accounts (CITY_INTEGRATION).
    email = fields.CharField(max_length=254, unique=True, null=True)
    password_hash = fields.CharField(max_length=200, null=True)
    display_name = fields.CharField(max_length=80)
    role = fields.CharEnumField(Role, max_length=20)
    city: fields.ForeignKeyNullableRelation[City] = fields.ForeignKeyField(
        "quartier.City", related_name="accounts", null=True, on_delete=fields.RESTRICT
    )
    city_id: int | None
    street: fields.ForeignKeyNullableRelation[Street] = fields.ForeignKeyField(
        "quartier.Street", related_name="residents", null=True, on_delete=fields.RESTRICT
    )
    street_id: int | None
    # Denormalised from the street: every visibility check needs it, and it must cost no query.
    neighbourhood: fields.ForeignKeyNullableRelation[Neighbourhood] = fields.ForeignKeyField(
        "quartier.Neighbourhood", related_name="residents", null=True, on_delete=fields.RESTRICT
    )
    neighbourhood_id: int | None
    house_number = fields.CharField(max_length=20, null=True)
    verified_at = fields.DatetimeField(null=True)
    # Suspended from `suspended_at` until `suspended_until` (open-ended when null).
    suspended_at = fields.DatetimeField(null=True)
    suspended_until = fields.DatetimeField(null=True)
    # E-mail reaches an address only once its owner confirmed it (the confirmation aside).
    email_confirmed_at = fields.DatetimeField(null=True)
    # fr, nl or en: e-mails and messages are written in it.
    language = fields.CharField(
        max_length=5, default=Language.FR.value, db_default=Language.FR.value
    )
    # Set by erasure (resolvers/erasure.py): the row stays as a pseudonym, emptied of the
    # person, because the append-only moderation log and the messages they sent point to it.
    erased_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "account"
        indexes = (("neighbourhood_id", "verified_at"),)

    @property
    def email_confirmed(self) -> bool:
        return self.email_confirmed_at is not None

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    def is_suspended(self, moment: datetime) -> bool:
        if self.suspended_at is None:
            return False
        return self.suspended_until is None or self.suspended_until > moment


class AuthToken(Model):
    # A bearer token. Only the SHA-256 of the token is stored.

    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "quartier.Account", related_name="tokens", on_delete=fields.CASCADE
    )
    account_id: int
    token_hash = fields.CharField(max_length=64, unique=True)
    # Named tokens are the operators' API tokens (`quartier token create --name`).
    name = fields.CharField(max_length=80, unique=True, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "auth_token"


class LetterStatus(StrEnum):
    PENDING = "PENDING"
    USED = "USED"
    LOCKED = "LOCKED"
    REPLACED = "REPLACED"


class VerificationLetter(Model):
    # A one-time code posted to the address; typing it proves the resident lives there.
    # (Not a docstring: Tortoise copies model docstrings into SQL comments and does not
    # escape quotes in them on SQLite.)

    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "quartier.Account", related_name="letters", on_delete=fields.CASCADE
    )
    account_id: int
    # Kept readable: staff print it on the letter.
    code = fields.CharField(max_length=16)
    status = fields.CharEnumField(LetterStatus, max_length=10, default=LetterStatus.PENDING)
    failed_attempts = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "verification_letter"
        indexes = (("status", "created_at"),)
