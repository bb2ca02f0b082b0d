"""What an account does by e-mail: confirm its address, reset or change its password, change
its address. Every e-mail is an outbox row written in the same transaction as the change that
causes it; every link carries a single-use token of which only the hash is stored."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from tortoise.exceptions import IntegrityError
from tortoise.timezone import now
from tortoise.transactions import in_transaction

from models.accounts import Account, AuthToken
from models.mail import AccountToken, MailKind, TokenPurpose
from permissions.text import tr
from resolvers import outbox, passwords
from resolvers.context import Context
from resolvers.errors import ErrorCode, fail
from resolvers.rate_limits import Action, enforce
from resolvers.validation import Checks

CONFIRM_TTL = timedelta(days=7)
RESET_TTL = timedelta(minutes=30)
# Links of either kind an address may be sent per RESET_TTL: enough for a lost e-mail, too
# few to flood someone's mailbox by asking again and again.
LINKS_PER_WINDOW = 5
TOKEN_MAX = 200


def _email_taken() -> Exception:
    return fail(
        "email", ErrorCode.EMAIL_TAKEN, tr("Un compte existe déjà pour cette adresse e-mail.")
    )


async def send_confirmation(account: Account) -> None:
    """The link that confirms the account's address; the only e-mail an unconfirmed address
    gets. Inside the caller's transaction."""
    assert account.email is not None
    raw = await outbox.issue_token(account, TokenPurpose.CONFIRM_EMAIL, account.email, CONFIRM_TTL)
    await outbox.enqueue(MailKind.CONFIRM_EMAIL, account, account.email, {"token": raw})


async def _recent_links(account: Account, purposes: Sequence[TokenPurpose]) -> int:
    since = now() - RESET_TTL
    return await AccountToken.filter(
        account_id=account.id, purpose__in=list(purposes), created_at__gt=since
    ).count()


async def _token(raw: str, purposes: Sequence[TokenPurpose], *, lock: bool) -> AccountToken:
    """The unused, unexpired token behind `raw`; INVALID_TOKEN, TOKEN_USED or TOKEN_EXPIRED."""
    digest = outbox.hash_secret(raw.strip()) if 0 < len(raw) <= TOKEN_MAX else None
    qs = AccountToken.filter(token_hash=digest or "-", purpose__in=list(purposes))
    row = await (qs.select_for_update() if lock else qs).first()
    if row is None:
        raise fail("token", ErrorCode.INVALID_TOKEN, tr("Ce lien n'est pas valide."))
    if row.used_at is not None:
        raise fail("token", ErrorCode.TOKEN_USED, tr("Ce lien a déjà servi."))
    if row.expires_at <= now():
        raise fail(
            "token", ErrorCode.TOKEN_EXPIRED, tr("Ce lien a expiré ; demandez-en un nouveau.")
        )
    return row


CONFIRM_PURPOSES = (TokenPurpose.CONFIRM_EMAIL, TokenPurpose.CHANGE_EMAIL)


async def check_confirm_token(raw: str) -> None:
    """Raises the token's userError, if any, without using it: the link's page asks before
    the button confirms."""
    await _token(raw, CONFIRM_PURPOSES, lock=False)


async def confirm_email(*, token: str) -> Account:
    """Confirms the address the token was sent to: registration's, or the new one of a
    change of address, which then becomes the account's."""
    purposes = CONFIRM_PURPOSES
    try:
        async with in_transaction():
            row = await _token(token, purposes, lock=True)
            account = await Account.filter(id=row.account_id).select_for_update().get()
            if row.purpose is TokenPurpose.CHANGE_EMAIL:
                if await Account.filter(email=row.email).exclude(id=account.id).exists():
                    raise _email_taken()
                account.email = row.email
            elif account.email != row.email:
                # The address changed since this link was sent: it confirms nothing now.
                raise fail("token", ErrorCode.INVALID_TOKEN, tr("Ce lien n'est pas valide."))
            moment = now()
            account.email_confirmed_at = moment
            await account.save(update_fields=["email", "email_confirmed_at"])
            # Every confirmation link of the account is spent: they name the old state.
            await (
                AccountToken.filter(account_id=account.id, purpose__in=list(purposes))
                .filter(used_at=None)
                .update(used_at=moment)
            )
    except IntegrityError:
        raise _email_taken() from None
    return account


async def resend_confirmation(ctx: Context) -> None:
    account = ctx.viewer
    assert account is not None
    if account.email is None or account.email_confirmed:
        raise fail(
            None, ErrorCode.EMAIL_ALREADY_CONFIRMED, tr("Votre adresse e-mail est déjà confirmée.")
        )
    async with in_transaction():
        if await _recent_links(account, [TokenPurpose.CONFIRM_EMAIL]) < LINKS_PER_WINDOW:
            await send_confirmation(account)


async def request_password_reset(*, email: str) -> None:
    """Sends a reset link if an account with a password has this confirmed address; the
    caller learns nothing either way. An unconfirmed address gets its confirmation link
    again instead: it may receive nothing else."""
    checks = Checks()
    address = checks.email("email", email)
    checks.raise_if_any()
    account = await Account.get_or_none(email=address)
    if account is None or account.password_hash is None:
        return
    async with in_transaction():
        if not account.email_confirmed:
            if await _recent_links(account, [TokenPurpose.CONFIRM_EMAIL]) < LINKS_PER_WINDOW:
                await send_confirmation(account)
            return
        if await _recent_links(account, [TokenPurpose.PASSWORD_RESET]) >= LINKS_PER_WINDOW:
            return
        raw = await outbox.issue_token(account, TokenPurpose.PASSWORD_RESET, address, RESET_TTL)
        await outbox.enqueue(MailKind.PASSWORD_RESET, account, address, {"token": raw})


async def _end_sessions(account: Account, keep: AuthToken | None = None) -> None:
    qs = AuthToken.filter(account_id=account.id, revoked_at=None)
    if keep is not None:
        qs = qs.exclude(id=keep.id)
    await qs.update(revoked_at=now())


async def _new_password_hash(account: Account, new_password: str) -> str:
    """The hash of an acceptable new password (registration's strength rules). Hashed before
    any transaction: argon2 takes long, and a write lock would wait for it."""
    weakness = passwords.weakness(
        new_password, email=account.email or "", display_name=account.display_name
    )
    if weakness:
        raise fail("newPassword", *weakness)
    return await passwords.hash_password(new_password)


async def check_reset_token(raw: str) -> None:
    """Raises the token's userError, if any, without using it (the form page asks first)."""
    await _token(raw, [TokenPurpose.PASSWORD_RESET], lock=False)


async def reset_password(*, token: str, new_password: str) -> None:
    """Sets the password and ends every session of the account; the token works once."""
    found = await _token(token, [TokenPurpose.PASSWORD_RESET], lock=False)
    account = await Account.get(id=found.account_id)
    password_hash = await _new_password_hash(account, new_password)
    async with in_transaction():
        # Taken again under a row lock: of two resets racing with one token, one wins.
        row = await _token(token, [TokenPurpose.PASSWORD_RESET], lock=True)
        moment = now()
        await AccountToken.filter(
            account_id=row.account_id, purpose=TokenPurpose.PASSWORD_RESET, used_at=None
        ).update(used_at=moment)
        await Account.filter(id=account.id).update(password_hash=password_hash)
        await _end_sessions(account)


async def _check_password(ctx: Context, account: Account, password: str) -> None:
    await enforce(ctx, Action.PASSWORD)
    if not await passwords.verify_password(account.password_hash, password):
        raise fail(
            "currentPassword",
            ErrorCode.INVALID_CREDENTIALS,
            tr("Le mot de passe actuel est incorrect."),
        )


async def change_password(ctx: Context, *, current_password: str, new_password: str) -> None:
    """Needs the current password; ends every other session, keeps this one."""
    account = ctx.viewer
    assert account is not None
    await _check_password(ctx, account, current_password)
    password_hash = await _new_password_hash(account, new_password)
    async with in_transaction():
        await Account.filter(id=account.id).update(password_hash=password_hash)
        await _end_sessions(account, keep=ctx.token)
        if account.email and account.email_confirmed:
            await outbox.enqueue(MailKind.PASSWORD_CHANGED, account, account.email)


async def change_email(ctx: Context, *, new_email: str, current_password: str) -> str:
    """Sends a confirmation link to the new address (the change happens when it is followed)
    and a notice to the old one. Returns the new address."""
    account = ctx.viewer
    assert account is not None
    checks = Checks()
    address = checks.email("newEmail", new_email)
    checks.raise_if_any()
    await _check_password(ctx, account, current_password)
    if address == account.email:
        raise fail("newEmail", ErrorCode.EMAIL_UNCHANGED, tr("C'est déjà l'adresse de ce compte."))
    if await Account.filter(email=address).exists():
        raise fail(
            "newEmail",
            ErrorCode.EMAIL_TAKEN,
            tr("Un compte existe déjà pour cette adresse e-mail."),
        )
    async with in_transaction():
        raw = await outbox.issue_token(account, TokenPurpose.CHANGE_EMAIL, address, CONFIRM_TTL)
        await outbox.enqueue(MailKind.EMAIL_CHANGE_CONFIRM, account, address, {"token": raw})
        if account.email and account.email_confirmed:
            await outbox.enqueue(
                MailKind.EMAIL_CHANGE_NOTICE, account, account.email, {"new_email": address}
            )
    return address
