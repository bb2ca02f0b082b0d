"""Search on SQLite: FTS5 tables (unicode61, diacritics removed) kept in step with posts and
comments by triggers (migration 0007). FTS5 has no French or Dutch stemmer: each query word
is cut to its Snowball stems in both languages and matched as a prefix, so "plombiers"
finds "plombier" and "fietsen" finds "fiets". A prefix cannot reach an irregular plural
from its singular ("cheval" is no prefix of "chevaux"): French words with such an ending are
also looked up in their other number (`forms`)."""

from __future__ import annotations

from functools import cache
from typing import Any

import snowballstemmer

_SEARCH = """
SELECT * FROM (
  SELECT p.id AS post_id, NULL AS comment_id, p.id * 2 AS key,
         -bm25(post_fts, 4.0, 1.0) AS score,
         snippet(post_fts, -1, char(57344), char(57345), '…', 24) AS excerpt
  FROM post_fts JOIN post p ON p.id = post_fts.rowid
  WHERE post_fts MATCH ? AND p.neighbourhood_id = ?
    AND p.deleted_at IS NULL AND p.hidden_at IS NULL
  UNION ALL
  SELECT c.post_id, c.id, c.id * 2 + 1, -bm25(comment_fts),
         snippet(comment_fts, 0, char(57344), char(57345), '…', 24)
  FROM comment_fts JOIN comment c ON c.id = comment_fts.rowid JOIN post p ON p.id = c.post_id
  WHERE comment_fts MATCH ? AND p.neighbourhood_id = ?
    AND c.deleted_at IS NULL AND c.hidden_at IS NULL
    AND p.deleted_at IS NULL AND p.hidden_at IS NULL
) {after}
ORDER BY score DESC, key DESC LIMIT ?
"""
_AFTER = "WHERE score < ? OR (score = ? AND key < ?)"
# Shorter stems would match too much as prefixes: they must match whole.
_PREFIX_MIN = 3


@cache
def _stemmer(language: str) -> Any:
    return snowballstemmer.stemmer(language)


# French endings whose plural a singular's stem is no prefix of, and back: chevaux/cheval,
# travaux/travail, jeux/jeu, bateaux/bateau, bijoux/bijou.
_OTHER_NUMBER = (
    ("eaux", ("eau",)),
    ("aux", ("al", "ail")),
    ("eux", ("eu",)),
    ("oux", ("ou",)),
    ("eau", ("eaux",)),
    ("al", ("aux",)),
    ("ail", ("aux",)),
    ("eu", ("eux",)),
    ("ou", ("oux",)),
)


def forms(word: str, language: str) -> list[str]:
    """The word, and in French its other number where a prefix cannot reach it."""
    if language != "french":
        return [word]
    for ending, others in _OTHER_NUMBER:
        if word.endswith(ending) and len(word) > len(ending) + 1:
            return [word, *(word[: -len(ending)] + other for other in others)]
    return [word]


def _term(word: str, language: str) -> str:
    stem = _stemmer(language).stemWord(word)
    # Words are letters and digits only (resolvers/search): nothing to escape in quotes.
    return f'"{stem}"*' if len(stem) >= _PREFIX_MIN else f'"{word}"'


def _any_form(word: str, language: str) -> str:
    # The other number as it is written: the index holds words, not stems, and its stem may
    # be the very prefix that misses it (the stem of "chevaux" is "cheval").
    first, *others = forms(word, language)
    terms = dict.fromkeys([_term(first, language), *(f'"{other}"*' for other in others)])
    return next(iter(terms)) if len(terms) == 1 else "(" + " OR ".join(terms) + ")"


def match_expression(words: list[str]) -> str:
    """Every word, in French or in Dutch: (fr1 AND fr2) OR (nl1 AND nl2)."""
    groups = dict.fromkeys(
        "(" + " AND ".join(_any_form(w, language) for w in words) + ")"
        for language in ("french", "dutch")
    )
    return " OR ".join(groups)


async def search(
    conn: Any,
    words: list[str],
    neighbourhood_id: int,
    limit: int,
    after: tuple[float, int] | None,
) -> list[dict[str, Any]]:
    match = match_expression(words)
    params: list[Any] = [match, neighbourhood_id, match, neighbourhood_id]
    if after is not None:
        params += [after[0], after[0], after[1]]
    params.append(limit)
    sql = _SEARCH.format(after=_AFTER if after is not None else "")
    return list(await conn.execute_query_dict(sql, params))
