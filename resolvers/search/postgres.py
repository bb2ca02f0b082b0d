"""Search on PostgreSQL: tsvector columns generated from each post and comment in French and
Dutch (accents folded), GIN indexes (the posts' leads with the neighbourhood), ts_rank for the
order (ts_rank_cd, cover density, cost twice as much per hit on 1,000,000 posts for no
difference a resident would see), ts_headline for the excerpt of the page's hits only."""

from __future__ import annotations

from typing import Any

# The query is matched in both languages (once when both read it alike); `plainto_tsquery`
# reads the words as words, and only words (no operators) reach it anyway.
_SEARCH = """
WITH languages AS (
  SELECT plainto_tsquery('quartier_fr', $1) AS fr, plainto_tsquery('quartier_nl', $1) AS nl
), q AS (
  SELECT CASE WHEN fr = nl THEN fr ELSE fr || nl END AS query FROM languages
), hits AS (
  SELECT p.id AS post_id, NULL::int AS comment_id, p.id::bigint * 2 AS key,
         ts_rank(p.search_vector, q.query) AS score
  FROM post p, q
  WHERE p.search_vector @@ q.query AND p.neighbourhood_id = $2
    AND p.deleted_at IS NULL AND p.hidden_at IS NULL
  UNION ALL
  SELECT c.post_id, c.id, c.id::bigint * 2 + 1, ts_rank(c.search_vector, q.query)
  FROM comment c JOIN post p ON p.id = c.post_id, q
  WHERE c.search_vector @@ q.query AND p.neighbourhood_id = $2
    AND c.deleted_at IS NULL AND c.hidden_at IS NULL
    AND p.deleted_at IS NULL AND p.hidden_at IS NULL
), page AS (
  SELECT * FROM hits {after} ORDER BY score DESC, key DESC LIMIT $3
)
SELECT page.post_id, page.comment_id, page.key, page.score,
       ts_headline('quartier_fr', coalesce(c.body, p.title || E'\\n' || p.body), q.query,
                   'StartSel=\ue000, StopSel=\ue001, MaxWords=30, MinWords=12, ShortWord=2,
                    MaxFragments=2, FragmentDelimiter=" … "') AS excerpt
FROM page JOIN post p ON p.id = page.post_id LEFT JOIN comment c ON c.id = page.comment_id, q
ORDER BY page.score DESC, page.key DESC
"""
_AFTER = "WHERE score < $4::real OR (score = $4::real AND key < $5)"


async def search(
    conn: Any,
    words: list[str],
    neighbourhood_id: int,
    limit: int,
    after: tuple[float, int] | None,
) -> list[dict[str, Any]]:
    params: list[Any] = [" ".join(words), neighbourhood_id, limit]
    if after is not None:
        params += [after[0], after[1]]
    sql = _SEARCH.format(after=_AFTER if after is not None else "")
    return list(await conn.execute_query_dict(sql, params))
