"""Frozen topicInsights: each neighbourhood's day counts (posts, comments, reactions per topic)
are written once, when the day has ended, into `insight_day`, and every figure of an ended
period is computed from them.

Why a snapshot. Counted live, the figure of an ended month would drop whenever content of
that month is later deleted, hidden or re-tagged, or an account erased: "10" read in March
and "9" read in April tells that one post was removed, and a day turning from 5 to
suppressed tells it was 4. The suppression rules (resolvers/suppression.py) protect one
reading; only figures that never change protect every later one. Since a period is shown
only once it has ended (rule 0), nothing shown ever comes from live rows: what was counted
when the day ended is what every reader gets, forever, whatever happens to the content.

Why per day. Weeks, months and whole-month ranges are sums of days, so one frozen grain
serves every interval, and the suppression rules see the same day tallies as before.

When. The first topicInsights request (or `quartier worker`, every ten minutes, where
there is one) after a day ends freezes every day not yet frozen for the neighbourhoods it
reads, in one grouped statement over the live tables, and moves the neighbourhood's
`insights_frozen_until` mark. Concurrent requests serialise on the neighbourhood rows.
Content written after its day was frozen (a transaction that commits a moment after
midnight) is left out of that day for good.

Bonus: a city-scale read is a GROUP BY over a table of at most (neighbourhoods x topics x
days) small rows, not over the posts, comments and reactions themselves.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from models.geography import Neighbourhood
from models.insights import InsightDay
from resolvers.sql import connection, is_postgres

# {day:<column>} becomes the dialect's UTC day of that column; {since} and {before} bound it.
_LIVE_DAYS = """
SELECT 0, p.neighbourhood_id, pt.topic_id, {day:p.created_at}, COUNT(*)
FROM post p JOIN post_topic pt ON pt.post_id = p.id
WHERE p.neighbourhood_id = {hood} AND p.created_at < {before}{since:p}
  AND p.deleted_at IS NULL AND p.hidden_at IS NULL
GROUP BY 1, 2, 3, 4
UNION ALL
SELECT 1, p.neighbourhood_id, pt.topic_id, {day:c.created_at}, COUNT(*)
FROM comment c JOIN post p ON p.id = c.post_id JOIN post_topic pt ON pt.post_id = c.post_id
WHERE p.neighbourhood_id = {hood} AND c.created_at < {before}{since:c}
  AND c.deleted_at IS NULL AND c.hidden_at IS NULL
  AND p.deleted_at IS NULL AND p.hidden_at IS NULL
GROUP BY 1, 2, 3, 4
UNION ALL
SELECT 2, p.neighbourhood_id, pt.topic_id, {day:r.created_at}, COUNT(*)
FROM reaction r JOIN post p ON p.id = r.post_id JOIN post_topic pt ON pt.post_id = r.post_id
WHERE p.neighbourhood_id = {hood} AND r.created_at < {before}{since:r}
  AND p.deleted_at IS NULL AND p.hidden_at IS NULL
GROUP BY 1, 2, 3, 4
"""
_DAY = {"postgres": "(({}) AT TIME ZONE 'UTC')::date", "sqlite": "date({})"}


def _live_statement(postgres: bool, hood: int, since: date | None, before: date) -> str:
    """Values written in: an integer and dates formatted here, never request text."""
    dialect = "postgres" if postgres else "sqlite"
    moment = "'{} 00:00:00+00'" if postgres else "'{}'"
    sql = _LIVE_DAYS.replace("{hood}", str(int(hood)))
    sql = sql.replace("{before}", moment.format(before.isoformat()))
    for alias in ("p", "c", "r"):
        column = f"{alias}.created_at"
        sql = sql.replace(f"{{day:{column}}}", _DAY[dialect].format(column))
        bound = f" AND {column} >= {moment.format(since.isoformat())}" if since else ""
        sql = sql.replace(f"{{since:{alias}}}", bound)
    return sql


async def freeze(hoods: Sequence[Neighbourhood], today: date) -> None:
    """Freezes the ended days (before `today`, UTC) not frozen yet of these neighbourhoods."""
    stale = sorted(h.id for h in hoods if not _frozen(h, today))
    for hood_id in stale:
        # IntegrityError: another request froze the same days first, with the same counts.
        with contextlib.suppress(IntegrityError):
            await _freeze_one(hood_id, today)
    for hood in hoods:
        hood.insights_frozen_until = today if hood.id in stale else hood.insights_frozen_until


def _frozen(hood: Neighbourhood, today: date) -> bool:
    mark = hood.insights_frozen_until
    return mark is not None and _as_date(mark) >= today


async def _freeze_one(hood_id: int, today: date) -> None:
    async with in_transaction():
        # The row lock makes a concurrent freeze of the same neighbourhood wait, then see the
        # mark this one moved.
        row = await Neighbourhood.filter(id=hood_id).select_for_update().get()
        if _frozen(row, today):
            return
        since = _as_date(row.insights_frozen_until) if row.insights_frozen_until else None
        conn = connection()
        _, rows = await conn.execute_query(
            _live_statement(is_postgres(conn), hood_id, since, today)
        )
        counts: dict[tuple[int, date], list[int]] = defaultdict(lambda: [0, 0, 0])
        for measure, _hood, topic, day, count in rows:
            counts[(topic, _as_date(day))][measure] += int(count)
        await InsightDay.bulk_create(
            [
                InsightDay(
                    neighbourhood_id=hood_id,
                    topic_id=topic,
                    day=day,
                    posts=posts,
                    comments=comments,
                    reactions=reactions,
                )
                for (topic, day), (posts, comments, reactions) in sorted(counts.items())
            ],
            batch_size=1000,
        )
        await Neighbourhood.filter(id=hood_id).update(insights_frozen_until=today)


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
