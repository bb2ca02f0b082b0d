"""Search on SQLite: FTS5 tables (unicode61, diacritics removed) kept in step with posts and
comments by triggers (migration 0007). FTS5 has no French or Dutch stemmer: each query word
is cut to its Snowball stems in both languages and matched as a prefix, so "plombiers"
finds "plombier" and "fietsen" finds "fiets"."""

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


def _term(word: str, language: str) -> str:
    stem = _stemmer(language).stemWord(word)
    # Words are letters and digits only (resolvers/search): nothing to escape in quotes.
    return f'"{stem}"*' if len(stem) >= _PREFIX_MIN else f'"{word}"'


def match_expression(words: list[str]) -> str:
    """Every word, in French or in Dutch: (fr1 AND fr2) OR (nl1 AND nl2)."""
    groups = dict.fromkeys(
        "(" + " AND ".join(_term(w, language) for w in words) + ")"
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
