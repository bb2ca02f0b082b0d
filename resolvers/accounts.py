"""Registration, sign-in and out, and address verification by letter."""

from __future__ import annotations

import hmac
import secrets
import unicodedata
from datetime import timedelta

from tortoise.exceptions import IntegrityError
from tortoise.timezone import now
from tortoise.transactions import in_transaction

from models.accounts import Account, LetterStatus, Role, VerificationLetter
from models.geography import Neighbourhood, Street
from permissions.text import tr
from resolvers import account_mail, passwords, tokens
from resolvers.broadcast import SessionChanged
from resolvers.context import Context
from resolvers.errors import ErrorCode, fail
from resolvers.geography import refresh_activation
from resolvers.pagination import Page, keyset_page
from resolvers.rate_limits import Action, enforce
from resolvers.validation import (
    HOUSE_NUMBER_PATTERN,
    Checks,
    has_control_characters,
)

MAX_CODE_ATTEMPTS = 5
# No 0/O, 1/I/L: the code is typed from paper.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8


def new_letter_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(raw: str) -> str:
    return "".join(ch for ch in raw.upper() if ch.isalnum())


def format_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


async def register(
    ctx: Context,
    *,
    email: str,
    password: str,
    display_name: str,
    street_id: str,
    house_number: str,
) -> tuple[str, Account]:
    await enforce(ctx, Action.REGISTER, account=_email_key(email))
    checks = Checks()
    email = checks.email("email", email)
    name = checks.text("displayName", display_name, max_length=80)
    number = checks.text("houseNumber", house_number, max_length=20)
    if (
        number
        and not any(e.field == "houseNumber" for e in checks.errors)
        and not HOUSE_NUMBER_PATTERN.match(number)
    ):
        checks.add(
            "houseNumber",
            ErrorCode.INVALID_HOUSE_NUMBER,
            tr("Numéro de maison invalide (ex. 12, 12A, 12 bte 3)."),
        )
    weakness = passwords.weakness(password, email=email, display_name=name)
    if weakness:
        checks.add("password", *weakness)
    street_pk = checks.global_id("streetId", street_id, "Street")
    street = await Street.get_or_none(id=street_pk) if street_pk else None
    if street_pk and street is None:
        checks.add("streetId", ErrorCode.NOT_FOUND, tr("Rue introuvable."))
    if (
        email
        and not any(e.field == "email" for e in checks.errors)
        and await Account.filter(email=email).exists()
    ):
        checks.add(
            "email", ErrorCode.EMAIL_TAKEN, tr("Un compte existe déjà pour cette adresse e-mail.")
        )
    checks.raise_if_any()
    assert street is not None

    password_hash = await passwords.hash_password(password)
    neighbourhood = await Neighbourhood.get(id=street.neighbourhood_id)
    try:
        async with in_transaction():
            account = await Account.create(
                email=email,
                password_hash=password_hash,
                display_name=name,
                role=Role.RESIDENT,
                city_id=neighbourhood.city_id,
                street_id=street.id,
                neighbourhood_id=neighbourhood.id,
                house_number=number,
                # Later messages and e-mails speak the language the sign-up was made in.
                language=ctx.language,
            )
            await VerificationLetter.create(account=account, code=new_letter_code())
            await account_mail.send_confirmation(account)
            raw, _ = await tokens.issue(account, timedelta(hours=ctx.settings.token_ttl_hours))
    except IntegrityError:
        # Two sign-ups with one address raced; the database kept one.
        raise fail(
            "email", ErrorCode.EMAIL_TAKEN, tr("Un compte existe déjà pour cette adresse e-mail.")
        ) from None
    return raw, account


def _email_key(email: str) -> str:
    """The e-mail as registration stores it: one account, one counter."""
    return unicodedata.normalize("NFC", email).strip().casefold()


async def login(ctx: Context, *, email: str, password: str) -> tuple[str, Account]:
    # Normalised as at registration; an address no account can have matches nothing.
    email = _email_key(email)
    await enforce(ctx, Action.LOGIN, account=email)
    valid = len(email) <= 254 and not has_control_characters(email)
    account = await Account.get_or_none(email=email) if valid else None
    ok = await passwords.verify_password(account.password_hash if account else None, password)
    if account is None or not ok:
        raise fail(
            None, ErrorCode.INVALID_CREDENTIALS, tr("Adresse e-mail ou mot de passe incorrect.")
        )
    if account.is_suspended(now()):
        raise fail(None, ErrorCode.ACCOUNT_SUSPENDED, tr("Ce compte est suspendu."))
    raw, _ = await tokens.issue(account, timedelta(hours=ctx.settings.token_ttl_hours))
    return raw, account


async def logout(ctx: Context) -> bool:
    """Revokes the request's token. Only a signed-in caller gets here: a token already
    revoked is refused before (UNAUTHENTICATED)."""
    assert ctx.token is not None
    await tokens.revoke(ctx.token)
    await ctx.publisher.publish(SessionChanged(ctx.token.account_id))
    return True


async def verify_address(ctx: Context, *, code: str) -> Account:
    viewer = ctx.viewer
    assert viewer is not None
    await enforce(ctx, Action.VERIFY_ADDRESS)
    if viewer.is_verified:
        raise fail(None, ErrorCode.ALREADY_VERIFIED, tr("Votre adresse est déjà vérifiée."))
    typed = normalise_code(code)
    async with in_transaction():
        letter = (
            await VerificationLetter.filter(account_id=viewer.id)
            .order_by("-created_at", "-id")
            .select_for_update()
            .first()
        )
        if letter is None or letter.status is LetterStatus.USED:
            raise fail(
                "code", ErrorCode.NO_PENDING_LETTER, tr("Aucun courrier en attente pour ce compte.")
            )
        if letter.status is LetterStatus.LOCKED:
            raise fail(
                "code", ErrorCode.LETTER_LOCKED, tr("Trop d'essais : demandez un nouveau courrier.")
            )
        matched = hmac.compare_digest(typed.encode(), letter.code.encode())
        if not matched:
            letter.failed_attempts += 1
            if letter.failed_attempts >= MAX_CODE_ATTEMPTS:
                letter.status = LetterStatus.LOCKED
            await letter.save(update_fields=["failed_attempts", "status"])
        else:
            moment = now()
            letter.status, letter.used_at = LetterStatus.USED, moment
            await letter.save(update_fields=["status", "used_at"])
            # Locks the neighbourhood row: concurrent verifications count one after another,
            # so the one that reaches the threshold sees it.
            neighbourhood = (
                await Neighbourhood.filter(id=viewer.neighbourhood_id).select_for_update().get()
            )
            viewer.verified_at = moment
            await Account.filter(id=viewer.id).update(verified_at=moment)
            await refresh_activation(neighbourhood)
    # The wrong attempt is committed above before it is reported.
    if matched:
        # Open connections now treat the resident as verified.
        await ctx.publisher.publish(SessionChanged(viewer.id))
    if not matched:
        if letter.status is LetterStatus.LOCKED:
            raise fail(
                "code", ErrorCode.LETTER_LOCKED, tr("Trop d'essais : demandez un nouveau courrier.")
            )
        left = MAX_CODE_ATTEMPTS - letter.failed_attempts
        raise fail(
            "code",
            ErrorCode.INVALID_CODE,
            tr("Code incorrect ({left} essai(s) restant(s)).", left=left),
        )
    return viewer


async def pending_letters(
    status: LetterStatus, first: int | None, after: str | None
) -> Page[VerificationLetter]:
    return await keyset_page(VerificationLetter.filter(status=status), first, after)


async def issue_letter(account_id: str) -> VerificationLetter:
    """A new letter for a resident, replacing any letter still pending or locked."""
    checks = Checks()
    pk = checks.person("accountId", account_id)
    checks.raise_if_any()
    account = await Account.get_or_none(id=pk, role=Role.RESIDENT)
    if account is None:
        raise fail("accountId", ErrorCode.NOT_FOUND, tr("Habitant introuvable."))
    if account.is_verified:
        raise fail("accountId", ErrorCode.ALREADY_VERIFIED, tr("Cette adresse est déjà vérifiée."))
    async with in_transaction():
        await VerificationLetter.filter(
            account_id=account.id, status__in=[LetterStatus.PENDING, LetterStatus.LOCKED]
        ).update(status=LetterStatus.REPLACED)
        return await VerificationLetter.create(account=account, code=new_letter_code())
