"""Opaque global IDs ("Post:12" in URL-safe base64) and keyset cursors."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime
from typing import Any

from permissions.errors import BadInput
from permissions.text import tr


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _unb64(raw: str) -> str:
    padded = raw + "=" * (-len(raw) % 4)
    return base64.urlsafe_b64decode(padded.encode("ascii")).decode()


def to_global_id(type_name: str, pk: int) -> str:
    return _b64(f"{type_name}:{pk}")


def parse_global_id(raw: str) -> tuple[str, int] | None:
    """The type name and primary key in `raw`, or None when it is not one of our IDs."""
    try:
        type_name, _, pk = _unb64(raw).partition(":")
        value = int(pk)
    except (ValueError, UnicodeError, binascii.Error):
        return None
    if not type_name or value <= 0 or value > 2**31 - 1:
        return None
    return type_name, value


def decode_id(raw: str, type_name: str) -> int | None:
    """The primary key of a `type_name` ID, or None for a malformed or foreign ID."""
    parsed = parse_global_id(raw)
    if parsed is None or parsed[0] != type_name:
        return None
    return parsed[1]


def encode_cursor(*values: Any) -> str:
    return _b64(json.dumps([v.isoformat() if isinstance(v, datetime) else v for v in values]))


def decode_cursor(raw: str, kinds: tuple[type, ...]) -> tuple[Any, ...]:
    """Values of a cursor, each parsed to the type in `kinds`; BAD_USER_INPUT when malformed."""
    try:
        values = json.loads(_unb64(raw))
        if not isinstance(values, list) or len(values) != len(kinds):
            raise ValueError
        return tuple(_parse(v, kind) for v, kind in zip(values, kinds, strict=True))
    except (ValueError, TypeError, UnicodeError, binascii.Error, OverflowError, RecursionError):
        raise BadInput(tr("Curseur de pagination invalide.")) from None


def _parse(value: Any, kind: type) -> Any:
    if kind is datetime:
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError("naive datetime")
        # In UTC, as stored: an offset that moves it past year 1 or 9999 overflows here
        # rather than in the database driver.
        return moment.astimezone(UTC)
    if kind is int:
        # Within the range of the databases' integer columns, like global IDs.
        if isinstance(value, bool) or not isinstance(value, int) or abs(value) > 2**31 - 1:
            raise ValueError("integer out of range")
        return value
    if kind is str and (not isinstance(value, str) or "\x00" in value):
        raise ValueError("bad string")
    return kind(value)
