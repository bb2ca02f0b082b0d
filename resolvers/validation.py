"""Checks on user input that produce `userErrors`, collected so one answer lists them all."""

from __future__ import annotations

import re
import unicodedata

from resolvers.errors import ErrorCode, FieldError, UserErrors
from resolvers.ids import decode_id

# Tab and line breaks are text; other control characters (and bidi overrides) are not.
_ALLOWED_CONTROLS = {"\n", "\t", "\r"}
_BIDI_OVERRIDES = {
    "\u202a",
    "\u202b",
    "\u202c",
    "\u202d",
    "\u202e",
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",
}


def _has_forbidden_characters(text: str, multiline: bool) -> bool:
    for ch in text:
        if ch in _BIDI_OVERRIDES:
            return True
        if unicodedata.category(ch) == "Cc" and not (multiline and ch in _ALLOWED_CONTROLS):
            return True
    return False


def has_control_characters(text: str) -> bool:
    """For search terms and other one-line arguments that are not stored."""
    return _has_forbidden_characters(text, multiline=False)


class Checks:
    """Accumulates field errors; `raise_if_any()` ends a mutation before it writes."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, field: str | None, code: ErrorCode, message: str) -> None:
        self.errors.append(FieldError(field, code, message))

    def raise_if_any(self) -> None:
        if self.errors:
            raise UserErrors(self.errors)

    def text(self, field: str, value: str, *, max_length: int, multiline: bool = False) -> str:
        """`value` trimmed (and NFC-normalised); errors for empty, too long or control chars."""
        cleaned = unicodedata.normalize("NFC", value).strip()
        if not cleaned:
            self.add(field, ErrorCode.REQUIRED, "Ce champ est obligatoire.")
        elif len(cleaned) > max_length:
            self.add(field, ErrorCode.TOO_LONG, f"{max_length} caractères au maximum.")
        elif _has_forbidden_characters(cleaned, multiline):
            self.add(
                field, ErrorCode.INVALID_CHARACTERS, "Ce texte contient des caractères interdits."
            )
        return cleaned

    def optional_text(
        self, field: str, value: str | None, *, max_length: int, multiline: bool = False
    ) -> str | None:
        if value is None:
            return None
        cleaned = unicodedata.normalize("NFC", value).strip()
        if not cleaned:
            return None
        return self.text(field, cleaned, max_length=max_length, multiline=multiline)

    def global_id(self, field: str, raw: str, type_name: str) -> int:
        """The primary key in `raw`; INVALID_ID (and 0) for a malformed or foreign ID."""
        pk = decode_id(raw, type_name)
        if pk is None:
            self.add(field, ErrorCode.INVALID_ID, "Identifiant invalide.")
            return 0
        return pk


EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
HOUSE_NUMBER_PATTERN = re.compile(
    r"^[0-9]{1,5}[A-Za-z]{0,2}(?:\s*(?:/|bte|bus|boîte)\s*[0-9A-Za-z]{1,5})?$", re.I
)
