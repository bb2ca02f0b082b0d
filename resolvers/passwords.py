"""Password hashing (argon2id) and the strength rules."""

from __future__ import annotations

import asyncio
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from permissions.text import tr
from resolvers.errors import ErrorCode

MIN_LENGTH = 10
MAX_LENGTH = 256

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified against when the email is unknown, so sign-in takes as long either way.
    Made on first use: hashing costs half a second at every process start otherwise."""
    return _hasher.hash("quartier-dummy-password")


@cache
def _common_passwords() -> frozenset[str]:
    # zxcvbn ships the 30,000 most common passwords of public leaks. Imported on first use:
    # its lists cost CPU at every process start (bench.startup).
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def weakness(
    password: str, *, email: str = "", display_name: str = ""
) -> tuple[ErrorCode, str] | None:
    """(code, message) when the password is refused, else None."""
    if len(password) < MIN_LENGTH:
        return (
            ErrorCode.PASSWORD_TOO_SHORT,
            tr(
                "Le mot de passe doit compter au moins {min_length} caractères.",
                min_length=MIN_LENGTH,
            ),
        )
    if len(password) > MAX_LENGTH:
        return ErrorCode.TOO_LONG, tr("{max_length} caractères au maximum.", max_length=MAX_LENGTH)
    folded = password.casefold()
    personal = {email.casefold(), email.split("@")[0].casefold(), display_name.casefold()} - {""}
    if folded in _common_passwords() or folded in personal or len(set(password)) < 4:
        return (
            ErrorCode.PASSWORD_TOO_COMMON,
            tr("Ce mot de passe est trop courant ; choisissez-en un autre."),
        )
    return None


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    def check() -> bool:
        try:
            return _hasher.verify(password_hash or _dummy_hash(), password) and bool(password_hash)
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(check)
