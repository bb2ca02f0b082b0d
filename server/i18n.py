"""The reader's language and the gettext catalogues that speak it.

Catalogues live in `server/locale/<lang>/LC_MESSAGES/quartier.po`; their compiled `.mo`
files are built at install time (setup.py) and never committed. French is the source
language: its msgids are the French texts, so it needs no catalogue.
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path

from models.accounts import Language
from permissions.text import Text

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "quartier"
DEFAULT = Language.FR
TRANSLATED = (Language.NL, Language.EN)

Translate = Callable[[str], str]

_RANGE = re.compile(r"^\s*([A-Za-z]{1,8})(?:-[A-Za-z0-9]{1,8})*\s*(?:;\s*q\s*=\s*([0-9.]+))?\s*$")


def from_accept_language(header: str | None) -> Language | None:
    """The first of our languages the header prefers (RFC 9110 weights), if any."""
    if not header:
        return None
    ranked: list[tuple[float, int, Language]] = []
    for position, item in enumerate(header.split(",")[:20]):
        match = _RANGE.match(item)
        if match is None:
            continue
        try:
            weight = float(match.group(2)) if match.group(2) else 1.0
        except ValueError:
            continue
        code = match.group(1).lower()
        if weight > 0 and code in Language.__members__.values():
            ranked.append((-weight, position, Language(code)))
    return min(ranked)[2] if ranked else None


def language_of(account_language: str | None, accept_language: str | None) -> Language:
    """The account's preference; for anonymous calls the request's; else French."""
    if account_language is not None and account_language in Language.__members__.values():
        return Language(account_language)
    return from_accept_language(accept_language) or DEFAULT


class MissingCatalogue(RuntimeError):
    """The compiled catalogues were not built: `pip install -e .` (or setup.py) builds them."""


@cache
def catalogue(language: Language) -> gettext.NullTranslations:
    if language is DEFAULT:
        return gettext.NullTranslations()
    try:
        return gettext.translation(DOMAIN, LOCALE_DIR, languages=[language.value])
    except FileNotFoundError:
        raise MissingCatalogue(
            f"no compiled catalogue for {language.value} in {LOCALE_DIR}: "
            "reinstall with `pip install -e .`, which compiles them"
        ) from None


def translate(text: str, language: Language) -> str:
    """`text` in `language`: a `tr()` Text is translated then filled in; a plain string is
    looked up as it is (permission messages are fixed strings), and left as it is if the
    catalogue does not know it."""
    messages = catalogue(language)
    if isinstance(text, Text):
        values = {
            key: translate(value, language) if isinstance(value, Text) else value
            for key, value in text.params.items()
        }
        return messages.gettext(text.msgid).format(**values)
    return messages.gettext(str(text))


def translator(language: Language) -> Translate:
    return lambda text: translate(text, language)
