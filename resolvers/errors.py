"""Errors the user can fix: they end up in a payload's `userErrors`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    field: str | None
    code: str
    message: str


class UserErrors(Exception):
    """Raised by a mutation that wrote nothing; the schema turns it into `userErrors`."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = errors


def fail(field: str | None, code: str, message: str) -> UserErrors:
    return UserErrors([FieldError(field, code, message)])
