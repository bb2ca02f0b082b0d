"""Scalars whose input Strawberry's defaults would let through to the database unchecked."""

from __future__ import annotations

from datetime import UTC, datetime

import dateutil.parser
from strawberry.schema.types.base_scalars import DateTimeDefinition, wrap_parser
from strawberry.types.scalar import ScalarDefinition


def _utc(raw: str) -> datetime:
    """An ISO 8601 date-time in UTC; without an offset it is taken as UTC. An offset that
    moves it before year 1 or after 9999 is refused here (OverflowError), where the
    database driver would fail unexpectedly."""
    moment = dateutil.parser.isoparse(raw)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


DATETIME = ScalarDefinition(
    name=DateTimeDefinition.name,
    description=DateTimeDefinition.description,
    specified_by_url=DateTimeDefinition.specified_by_url,
    serialize=DateTimeDefinition.serialize,
    parse_value=wrap_parser(_utc, "DateTime", exceptions=(ValueError, OverflowError)),
    parse_literal=None,
    origin=datetime,
)

SCALAR_OVERRIDES = {datetime: DATETIME}
