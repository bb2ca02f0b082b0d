"""A resident's language and which notifications also come by e-mail (in-app always)."""

from __future__ import annotations

from collections.abc import Sequence

from tortoise.transactions import in_transaction

from models.accounts import Account, Language
from models.mail import EMAIL_DEFAULTS, NotificationPreference, PreferenceKind
from permissions.text import tr
from resolvers.context import Context
from resolvers.errors import ErrorCode
from resolvers.validation import Checks


async def email_preferences(account_id: int) -> dict[PreferenceKind, bool]:
    """Every kind, with the account's choice or the kind's default."""
    chosen = await NotificationPreference.filter(account_id=account_id).values_list("kind", "email")
    return {**EMAIL_DEFAULTS, **{PreferenceKind(kind): bool(email) for kind, email in chosen}}


async def set_email(account_id: int, kind: PreferenceKind, email: bool) -> None:
    """Creates or updates the one row of (account, kind)."""
    updated = await NotificationPreference.filter(account_id=account_id, kind=kind).update(
        email=email
    )
    if not updated:
        await NotificationPreference.create(account_id=account_id, kind=kind, email=email)


async def update(
    ctx: Context,
    *,
    language: str | None,
    email: Sequence[tuple[PreferenceKind, bool]] | None,
) -> Account:
    account = ctx.viewer
    assert account is not None
    checks = Checks()
    chosen: Language | None = None
    if language is not None:
        code = language.strip().lower()
        if code in Language.__members__.values():
            chosen = Language(code)
        else:
            checks.add(
                "language",
                ErrorCode.UNKNOWN_LANGUAGE,
                tr("Langue inconnue : choisissez fr, nl ou en."),
            )
    checks.raise_if_any()
    async with in_transaction():
        if chosen is not None:
            account.language = chosen.value
            await Account.filter(id=account.id).update(language=chosen.value)
        for kind, wanted in email or ():
            await set_email(account.id, kind, wanted)
    return account
