"""Full-text search over what neighbours wrote: titles, bodies and comments of one
neighbourhood, best match first, with the matching excerpt highlighted.

PostgreSQL matches French and Dutch stems with accents folded (generated tsvector columns with
GIN indexes, migration 0007); SQLite matches FTS5 tokens with accents folded, each query word
cut to its French and Dutch stem and matched as a prefix. Hidden and deleted posts and
comments are not in either index, and erased ones are gone with their rows.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

from tortoise import connections

from permissions.errors import BadInput
from permissions.text import tr
from resolvers.ids import decode_cursor
from resolvers.pagination import Order, Page, page_size
from resolvers.search import postgres, sqlite
from resolvers.validation import has_control_characters

QUERY_MAX = 200
WORDS_MAX = 8
# Private-use characters around highlighted words: no text a resident types carries them
# where it matters, and the client never sees them.
START, STOP = "\ue000", "\ue001"
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Hit:
    post_id: int
    comment_id: int | None
    score: float
    # Unique among hits: a post's id times two, a comment's times two plus one.
    key: int
    excerpt: str

    @property
    def fragments(self) -> list[tuple[str, bool]]:
        return fragments(self.excerpt)


BEST_FIRST = Order("score", kind=float, tie="key")


def words(query: str) -> list[str]:
    """The words of a query; BAD_USER_INPUT for one too long or without a word (operators,
    punctuation and symbols are not words: they never reach the database as syntax)."""
    if len(query) > QUERY_MAX:
        raise BadInput(tr("La recherche dépasse {count} caractères.", count=QUERY_MAX))
    if has_control_characters(query):
        raise BadInput(tr("La recherche contient des caractères interdits."))
    found = _WORD.findall(unicodedata.normalize("NFC", query).casefold())
    if not found:
        raise BadInput(tr("La recherche ne contient aucun mot."))
    if len(found) > WORDS_MAX:
        raise BadInput(tr("{count} mots au maximum.", count=WORDS_MAX))
    return list(dict.fromkeys(found))


def _after(cursor: str | None) -> tuple[float, int] | None:
    if not cursor:
        return None
    score, key = decode_cursor(cursor, (float, float))
    if not (math.isfinite(score) and key.is_integer() and 0 < key < 2**34):
        raise BadInput(tr("Curseur de pagination invalide."))
    return score, int(key)


async def search(
    neighbourhood_id: int, query: str, first: int | None, after: str | None
) -> Page[Hit]:
    terms = words(query)
    size = page_size(first)
    position = _after(after)
    if size == 0:
        return Page([], False, BEST_FIRST.cursor)
    conn = connections.get("default")
    backend = postgres if conn.capabilities.dialect == "postgres" else sqlite
    rows = await backend.search(conn, terms, neighbourhood_id, size + 1, position)
    hits = [
        Hit(
            post_id=int(r["post_id"]),
            comment_id=int(r["comment_id"]) if r["comment_id"] is not None else None,
            score=float(r["score"]),
            key=int(r["key"]),
            excerpt=r["excerpt"] or "",
        )
        for r in rows
    ]
    return Page.from_rows(hits, size, BEST_FIRST)


def fragments(excerpt: str) -> list[tuple[str, bool]]:
    """The excerpt as (text, highlighted) pieces, markers removed."""
    pieces: list[tuple[str, bool]] = []
    for index, part in enumerate(re.split(f"[{START}{STOP}]", excerpt)):
        if part:
            pieces.append((part, index % 2 == 1))
    return pieces
