"""How often one account, and one client address, may repeat what a brute force or a flood
repeats. The policy is the table below; the resolver of each action calls `enforce` before
anything else, and over a limit the caller gets the `RATE_LIMITED` userError with the
seconds to wait.

The counters sit behind `ctx.rate_counter` (the server's: Redis, shared by every worker, or
the process's memory when no Redis is configured), so this module only states the rules.
To throttle a new action: a member of `Action`, its limits in `POLICY`, one `enforce` call.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from permissions.text import tr
from resolvers.errors import ErrorCode, FieldError, UserErrors

if TYPE_CHECKING:
    from resolvers.context import Context


class Action(StrEnum):
    LOGIN = "login"
    REGISTER = "register"
    VERIFY_ADDRESS = "verifyAddress"
    POST = "post"
    COMMENT = "comment"
    REACTION = "reaction"
    MESSAGE = "message"
    REPORT = "report"
    UPLOAD = "upload"
    # A signed-in account's password checked again (deleteAccount, changePassword,
    # changeEmail): a stolen session must not be a way to guess the password.
    PASSWORD = "password"
    EXPORT = "export"


class Per(StrEnum):
    """Whose attempts a limit counts: one account's (for sign-in and sign-up, the e-mail
    address tried), or one client address's."""

    ACCOUNT = "account"
    ADDRESS = "address"


@dataclass(frozen=True)
class Limit:
    per: Per
    count: int
    seconds: int


MINUTE, HOUR = 60, 3600

# Limits a person never meets: the account's is several times what the busiest resident
# does; an address may hold a household, an office or a mobile operator's NAT, so its
# limit is ten times the account's (sign-in: five).
POLICY: Mapping[Action, tuple[Limit, ...]] = {
    Action.LOGIN: (Limit(Per.ACCOUNT, 20, 15 * MINUTE), Limit(Per.ADDRESS, 100, 15 * MINUTE)),
    Action.REGISTER: (Limit(Per.ACCOUNT, 10, HOUR), Limit(Per.ADDRESS, 50, HOUR)),
    Action.VERIFY_ADDRESS: (Limit(Per.ACCOUNT, 20, HOUR), Limit(Per.ADDRESS, 200, HOUR)),
    Action.POST: (Limit(Per.ACCOUNT, 30, 10 * MINUTE), Limit(Per.ADDRESS, 300, 10 * MINUTE)),
    Action.COMMENT: (Limit(Per.ACCOUNT, 60, 10 * MINUTE), Limit(Per.ADDRESS, 600, 10 * MINUTE)),
    Action.REACTION: (
        Limit(Per.ACCOUNT, 300, 10 * MINUTE),
        Limit(Per.ADDRESS, 3000, 10 * MINUTE),
    ),
    Action.MESSAGE: (Limit(Per.ACCOUNT, 120, 10 * MINUTE), Limit(Per.ADDRESS, 1200, 10 * MINUTE)),
    Action.REPORT: (Limit(Per.ACCOUNT, 60, HOUR), Limit(Per.ADDRESS, 600, HOUR)),
    # Photos (POST /media): four to a post, one to a message; each costs a decode.
    Action.UPLOAD: (Limit(Per.ACCOUNT, 60, HOUR), Limit(Per.ADDRESS, 600, HOUR)),
    Action.PASSWORD: (Limit(Per.ACCOUNT, 10, 15 * MINUTE), Limit(Per.ADDRESS, 100, 15 * MINUTE)),
    # GET /me/export reads all an account holds: a person needs it once in a while.
    Action.EXPORT: (Limit(Per.ACCOUNT, 10, HOUR), Limit(Per.ADDRESS, 100, HOUR)),
}


def names() -> list[str]:
    """Every limit as `action.per`, the name an override in QUARTIER_RATE_LIMITS uses."""
    return [f"{action}.{limit.per}" for action, limits in POLICY.items() for limit in limits]


class RateCounter(Protocol):
    async def hit(self, key: str, seconds: int) -> tuple[int, int]:
        """Counts one attempt under `key` in a window of `seconds`; returns the attempts in
        the window so far and the seconds until it ends."""
        ...


def limits(action: Action, overrides: tuple[tuple[str, int, int], ...] = ()) -> list[Limit]:
    """The action's limits, each replaced by its override (name, count, seconds) if any."""
    replaced = {name: (count, seconds) for name, count, seconds in overrides}
    chosen = []
    for limit in POLICY[action]:
        override = replaced.get(f"{action}.{limit.per}")
        chosen.append(Limit(limit.per, *override) if override else limit)
    return chosen


def _key(action: Action, per: Per, subject: str) -> str:
    # E-mail addresses and client addresses are personal data: only a digest is stored.
    digest = hashlib.sha256(subject.encode()).hexdigest()[:24]
    return f"rate:{action}:{per}:{digest}"


def _wait_message(seconds: int) -> str:
    if seconds < 60:
        return tr("Trop de tentatives : réessayez dans {seconds} seconde(s).", seconds=seconds)
    return tr("Trop de tentatives : réessayez dans {minutes} minute(s).", minutes=-(-seconds // 60))


async def enforce(ctx: Context, action: Action, *, account: str | None = None) -> None:
    """Counts this attempt; RATE_LIMITED when it goes over one of the action's limits.
    `account` is the e-mail tried, for actions taken before signing in; otherwise the
    caller's account counts."""
    counter = ctx.rate_counter
    if counter is None:
        return
    if account is None and ctx.viewer is not None:
        account = str(ctx.viewer.id)
    subjects = {Per.ACCOUNT: account, Per.ADDRESS: ctx.client_address}
    wait = 0
    for limit in limits(action, ctx.settings.rate_limits):
        subject = subjects[limit.per]
        if subject is None:
            continue
        count, left = await counter.hit(_key(action, limit.per, subject), limit.seconds)
        if count > limit.count:
            wait = max(wait, left)
    if wait:
        raise UserErrors(
            [FieldError(None, ErrorCode.RATE_LIMITED, _wait_message(wait), retry_after=wait)]
        )
