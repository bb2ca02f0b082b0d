"""What the operator command line does to the database, as functions tests can call."""

from __future__ import annotations

import csv
from typing import TextIO

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from models.accounts import Account, AuthToken, LetterStatus, Role, VerificationLetter
from models.geography import City, Neighbourhood, fold
from permissions.roles import CITY_ROLES
from resolvers import passwords, tokens
from resolvers.accounts import format_code
from resolvers.geography import refresh_activation, verified_count
from resolvers.validation import EMAIL_PATTERN

LETTER_COLUMNS = (
    "code",
    "recipient_name",
    "street",
    "house_number",
    "postal_code",
    "neighbourhood",
    "created_at",
)
NAME_MAX = 80


class CommandError(Exception):
    """A refusal the operator can act on: printed as one line, exit status 1."""


def parse_role(raw: str, *, allowed: frozenset[Role], why: dict[Role, str]) -> Role:
    try:
        role = Role(raw.strip().upper())
    except ValueError:
        raise CommandError(f"unknown role {raw!r}") from None
    if role not in allowed:
        raise CommandError(why.get(role, f"role {role} is not allowed here"))
    return role


async def city_named(name: str) -> City | None:
    wanted = fold(" ".join(name.split()))
    for city in await City.all():
        if fold(city.name) == wanted:
            return city
    return None


async def find_city(name: str | None) -> City:
    """The city named `name`, or the only city when `name` is None."""
    if name is not None:
        city = await city_named(name)
        if city is None:
            names = await City.all().order_by("name").values_list("name", flat=True)
            known = ", ".join(str(n) for n in names)
            raise CommandError(f"no city named {name!r} (cities: {known or 'none'})")
        return city
    cities = await City.all().limit(2)
    if len(cities) == 1:
        return cities[0]
    if not cities:
        raise CommandError("there is no city yet: import its streets with --city NAME first")
    raise CommandError("there are several cities: name one with --city")


async def _city_for(role: Role, city_name: str | None) -> City | None:
    if role in CITY_ROLES:
        return await find_city(city_name)
    if city_name is not None:
        raise CommandError(f"{role} accounts belong to no city: drop --city")
    return None


STAFF_ACCOUNT_ROLES = frozenset({Role.CITY_STAFF, Role.MODERATOR, Role.ADMIN})
_ACCOUNT_REFUSALS = {
    Role.RESIDENT: "residents register through the API, not the command line",
    Role.CITY_INTEGRATION: "CITY_INTEGRATION accounts have no password: use `quartier token create`",
}


async def create_account(
    *,
    email: str,
    password: str,
    role: str,
    display_name: str | None = None,
    city_name: str | None = None,
) -> Account:
    """A staff account that signs in with email and password."""
    chosen = parse_role(role, allowed=STAFF_ACCOUNT_ROLES, why=_ACCOUNT_REFUSALS)
    address = email.strip().casefold()
    if not EMAIL_PATTERN.match(address) or len(address) > 254:
        raise CommandError(f"invalid email address {email!r}")
    name = " ".join((display_name or address.split("@")[0]).split())
    if not name or len(name) > NAME_MAX:
        raise CommandError(f"the display name must be 1 to {NAME_MAX} characters")
    weakness = passwords.weakness(password, email=address, display_name=name)
    if weakness is not None:
        raise CommandError(f"password refused: {weakness[1]} ({weakness[0]})")
    city = await _city_for(chosen, city_name)
    if await Account.filter(email=address).exists():
        raise CommandError(f"an account with email {address} already exists")
    password_hash = await passwords.hash_password(password)
    try:
        return await Account.create(
            email=address, password_hash=password_hash, display_name=name, role=chosen, city=city
        )
    except IntegrityError:
        raise CommandError(f"an account with email {address} already exists") from None


TOKEN_ROLES = frozenset({Role.CITY_INTEGRATION, Role.CITY_STAFF, Role.MODERATOR, Role.ADMIN})
_TOKEN_REFUSALS = {Role.RESIDENT: "residents get their tokens by signing in through the API"}


async def create_api_token(
    *, role: str, name: str, city_name: str | None = None
) -> tuple[str, Account]:
    """A token-only account named `name` and its never-expiring token; returns the raw token,
    which is not stored anywhere (only its hash is)."""
    chosen = parse_role(role, allowed=TOKEN_ROLES, why=_TOKEN_REFUSALS)
    label = " ".join(name.split())
    if not label or len(label) > NAME_MAX:
        raise CommandError(f"the token name must be 1 to {NAME_MAX} characters")
    city = await _city_for(chosen, city_name)
    if await AuthToken.filter(name=label).exists():
        raise CommandError(f"a token named {label!r} already exists")
    try:
        async with in_transaction():
            account = await Account.create(display_name=label, role=chosen, city=city)
            raw, _ = await tokens.issue(account, ttl=None, name=label)
    except IntegrityError:
        raise CommandError(f"a token named {label!r} already exists") from None
    return raw, account


async def revoke_api_token(name: str) -> tuple[AuthToken, bool]:
    """The named token, and whether this call revoked it (False: it already was)."""
    token = await AuthToken.get_or_none(name=" ".join(name.split()))
    if token is None:
        raise CommandError(f"no token named {name!r}")
    if token.revoked_at is not None:
        return token, False
    await tokens.revoke(token)
    await token.refresh_from_db(fields=["revoked_at"])
    return token, True


async def find_neighbourhood(city: City, name: str) -> Neighbourhood:
    wanted = fold(" ".join(name.split()))
    for row in await Neighbourhood.filter(city=city):
        if fold(row.name) == wanted:
            return row
    raise CommandError(f"no neighbourhood named {name!r} in {city.name}")


async def set_threshold(
    name: str, threshold: int, city_name: str | None = None
) -> tuple[Neighbourhood, int]:
    """Change a neighbourhood's activation threshold and activate it if it now qualifies (an
    active neighbourhood stays active). Returns it and its verified residents."""
    if threshold < 1:
        raise CommandError("the threshold must be at least 1")
    found = await find_neighbourhood(await find_city(city_name), name)
    async with in_transaction():
        row = await Neighbourhood.filter(id=found.id).select_for_update().get()
        row.activation_threshold = threshold
        await row.save(update_fields=["activation_threshold"])
        await refresh_activation(row)
    return row, await verified_count(row.id)


async def write_pending_letters(out: TextIO) -> int:
    """The pending verification letters as CSV, newest first; returns how many."""
    letters = (
        await VerificationLetter.filter(status=LetterStatus.PENDING)
        .order_by("-created_at", "-id")
        .select_related("account__street", "account__neighbourhood")
    )
    writer = csv.writer(out)
    writer.writerow(LETTER_COLUMNS)
    for letter in letters:
        account = letter.account
        street, neighbourhood = account.street, account.neighbourhood
        writer.writerow(
            [
                format_code(letter.code),
                account.display_name,
                street.name if street else "",
                account.house_number or "",
                street.postal_code if street else "",
                neighbourhood.name if neighbourhood else "",
                letter.created_at.isoformat(timespec="seconds"),
            ]
        )
    return len(letters)
