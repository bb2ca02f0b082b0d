"""The reason shown for hidden content and for a moderation decision, in the reader's language.

Automatic hiding stores its French wording (the catalogues' msgid) in the content's
`hidden_reason` and in the append-only moderation log; a moderator's reason is stored as
written. Read back, the automatic wording is recognised and becomes translatable text again:
old log rows keep the earlier wording, which named the report count, and are mapped when
read rather than rewritten.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from permissions.text import Text, tr

# Says nothing of how many reported it: with a small neighbourhood, a count names them.
AUTO_HIDE = "Masqué en attente de la décision d'un modérateur."
# The wording before migration 0007, still in the log's older rows.
OLD_AUTO_HIDE = re.compile(
    r"Masqué automatiquement après (\d{1,9}) signalements, en attente d'un modérateur\."
)


def auto_hide() -> Text:
    return tr("Masqué en attente de la décision d'un modérateur.")


def readable(stored: str | None, *, with_count: bool = False) -> str | None:
    """`stored` as its reader should get it: the automatic wording as translatable text
    (the older one with its report count only `with_count`, for moderators), anything else
    as written."""
    if stored is None:
        return None
    if stored == AUTO_HIDE:
        return auto_hide()
    old = OLD_AUTO_HIDE.fullmatch(stored)
    if old is None:
        return stored
    if with_count:
        return tr(
            "Masqué automatiquement après {n} signalements, en attente d'un modérateur.",
            n=int(old.group(1)),
        )
    return auto_hide()


def say(text: str | None, translate: Callable[[str], str]) -> str | None:
    """Translates `tr()` text only: a moderator's words are never looked up in the
    catalogue, where one could match a message by chance."""
    return translate(text) if isinstance(text, Text) else text


def shown(
    stored: str | None, translate: Callable[[str], str], *, with_count: bool = False
) -> str | None:
    """`readable`, in the reader's language."""
    return say(readable(stored, with_count=with_count), translate)
