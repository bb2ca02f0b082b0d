"""How the city subgraph knows who is calling. It authenticates the bearer token itself (the
gateway only forwards the header), and its database role may read only some columns of
`account` (server/city_role.py): the caller is loaded with those columns and no others, so
reading their email or name in the city's code fails instead of leaking.
"""

from __future__ import annotations

from typing import Final

from tortoise.expressions import Q
from tortoise.timezone import now

from models.accounts import Account, AuthToken
from resolvers import tokens

# What the city's side needs of an account: who it is, its role, where it lives, whether it
# is verified or suspended, its language. Not its email, name, house number or password hash.
ACCOUNT_COLUMNS: Final = (
    "id",
    "role",
    "city_id",
    "street_id",
    "neighbourhood_id",
    "verified_at",
    "suspended_at",
    "suspended_until",
    # The caller's language for messages; publishing reads both to queue residents' e-mails.
    "language",
    "email_confirmed_at",
    "erased_at",
)
TOKEN_COLUMNS: Final = ("id", "account_id", "token_hash", "expires_at", "revoked_at")


async def authenticate(raw: str | None) -> tuple[Account | None, AuthToken | None]:
    """The caller as the city may see them, in one statement; anonymous for an unknown,
    revoked or expired token and a suspended account, as in the community subgraph. The
    token itself stays unloaded: signing out is the community's."""
    if raw is None or not raw.startswith(tokens.PREFIX) or len(raw) > 200:
        return None, None
    moment = now()
    account = (
        await Account.filter(
            Q(tokens__token_hash=tokens.hash_token(raw), tokens__revoked_at=None)
            & (Q(tokens__expires_at=None) | Q(tokens__expires_at__gt=moment))
        )
        .only(*ACCOUNT_COLUMNS)
        .first()
    )
    if account is None or account.is_suspended(moment):
        return None, None
    return account, None
