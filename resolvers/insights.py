"""topicInsights: posts, comments and reactions per neighbourhood, topic and period, counted in
SQL and suppressed in Python (the rules are in resolvers/suppression.py).

Scope. CITY_STAFF and CITY_INTEGRATION see their own city's neighbourhoods; without
`neighbourhoodIds`, all of them. MODERATOR and ADMIN may name neighbourhoods of any city, but
of one city per request (topics are a city's taxonomy, and the grid stays bounded); without
`neighbourhoodIds` they get their own city's if their account has one, else BAD_USER_INPUT.
An unknown id, a malformed one and one of another city get the same BAD_USER_INPUT.

Limits (BAD_USER_INPUT): `to` after `from`; at most two years from `from` to `to`; DAY covers
at most 93 days and WEEK at most 54 weeks once aligned; the grid at most 20,000 rows.

Figures of ended periods never change: they come from the day counts frozen when each day
ended (resolvers/insight_snapshots.py says why), never from the live rows. One statement
reads them: a GROUP BY period over `insight_day` that adds each period's days up into a
`Tally` (total, and sum and number of the days under the threshold: rule 4 needs them). Only
nonzero days are stored; the grid fills the rest with zeros.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from tortoise import connections
from tortoise.timezone import now

from models.community import Topic
from models.geography import Neighbourhood, fold
from permissions.errors import BadInput, Forbidden
from permissions.roles import is_city_role
from permissions.text import tr
from resolvers import insight_snapshots
from resolvers import suppression as rules
from resolvers.ids import decode_id
from resolvers.suppression import Interval, Tally

if TYPE_CHECKING:
    from models.accounts import Account
    from resolvers.context import Context

MAX_YEARS = 2
MAX_PERIODS = {Interval.DAY: 93, Interval.WEEK: 54}
MAX_ROWS = 20_000
MEASURES = 3  # posts, comments, reactions: the `measure` column of the statement

Key = tuple[int, int, int, date]  # measure, neighbourhood id, topic id, period start


@dataclass(frozen=True)
class InsightRow:
    neighbourhood: Neighbourhood
    topic: Topic
    period_start: datetime
    post_count: int | None
    comment_count: int | None
    reaction_count: int | None

    @property
    def suppressed(self) -> bool:
        return None in (self.post_count, self.comment_count, self.reaction_count)


async def topic_insights(
    ctx: Context,
    start: datetime,
    end: datetime,
    neighbourhood_ids: Sequence[str] | None,
    interval: Interval | None,
) -> list[InsightRow]:
    interval = interval or Interval.NONE
    low, high = checked_range(start, end, interval)
    hoods = await _neighbourhoods(ctx.viewer, neighbourhood_ids)
    topics = sorted(await Topic.filter(city_id=hoods[0].city_id), key=lambda t: fold(t.label))
    starts = rules.period_starts(low, high, interval)
    if len(hoods) * len(topics) * len(starts) > MAX_ROWS:
        raise BadInput(
            tr(
                "neighbourhoodIds, interval : au plus {max_rows} lignes ; choisissez moins de quartiers ou un intervalle plus long.",
                max_rows=MAX_ROWS,
            )
        )
    threshold = ctx.settings.suppression_threshold
    today = rules.utc_day(now())
    await insight_snapshots.freeze(hoods, today)
    tallies = await day_tallies([h.id for h in hoods], low, high, interval, threshold)
    grid = _Grid(interval, low, high, tallies, threshold, today)
    return [grid.row(h, t, s) for h in hoods for t in topics for s in starts]


def checked_range(start: datetime, end: datetime, interval: Interval) -> tuple[date, date]:
    start, end = rules.as_utc(start), rules.as_utc(end)
    if end <= start:
        raise BadInput(tr("to : doit être postérieur à from."))
    if end > _years_later(start, MAX_YEARS):
        raise BadInput(
            tr(
                "to : la période couvre au plus {max_years} ans à partir de from.",
                max_years=MAX_YEARS,
            )
        )
    low, high = rules.aligned(start, end, interval)
    limit = MAX_PERIODS.get(interval)
    if limit is not None and len(rules.period_starts(low, high, interval)) > limit:
        unit = tr("jours") if interval is Interval.DAY else tr("semaines")
        raise BadInput(
            tr(
                "interval : {interval} couvre au plus {limit} {unit} ; choisissez un intervalle plus long ou une période plus courte.",
                interval=interval.value,
                limit=limit,
                unit=unit,
            )
        )
    return low, high


def _years_later(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + years, day=28)


async def _neighbourhoods(
    viewer: Account | None, raw_ids: Sequence[str] | None
) -> list[Neighbourhood]:
    if viewer is None:  # the field's permission has already refused anonymous callers
        raise Forbidden()
    city_only = viewer.city_id if is_city_role(viewer) else None
    if is_city_role(viewer) and viewer.city_id is None:
        raise Forbidden(tr("Ce compte de la ville n'est rattaché à aucune ville."))
    if raw_ids is None:
        if viewer.city_id is None:
            raise BadInput(tr("neighbourhoodIds : obligatoire pour un compte sans ville."))
        rows = await Neighbourhood.filter(city_id=viewer.city_id)
    else:
        rows = await _named(raw_ids, city_only)
    if not rows:
        raise BadInput(tr("neighbourhoodIds : aucun quartier."))
    return sorted(rows, key=lambda n: (fold(n.name), n.id))


async def _named(raw_ids: Sequence[str], city_id: int | None) -> list[Neighbourhood]:
    unknown = BadInput(tr("neighbourhoodIds : quartier inconnu ou d'une autre ville."))
    ids = {decode_id(raw, "Neighbourhood") for raw in raw_ids}
    if None in ids:
        raise unknown
    rows = await Neighbourhood.filter(id__in=ids)
    if len(rows) != len(ids) or any(city_id not in (None, row.city_id) for row in rows):
        raise unknown
    if len({row.city_id for row in rows}) > 1:
        raise BadInput(tr("neighbourhoodIds : des quartiers d'une seule ville par requête."))
    return rows


class _Grid:
    """Turns the tallies into shown values, one grid row at a time."""

    def __init__(
        self,
        interval: Interval,
        low: date,
        high: date,
        tallies: dict[Key, Tally],
        threshold: int,
        today: date,
    ) -> None:
        self.interval = interval
        self.months = rules.months_between(low, high)
        self.tallies = tallies
        self.threshold = threshold
        self.today = today

    def row(self, hood: Neighbourhood, topic: Topic, start: date) -> InsightRow:
        posts, comments, reactions = (
            self.value(m, hood.id, topic.id, start) for m in range(MEASURES)
        )
        return InsightRow(hood, topic, rules.as_moment(start), posts, comments, reactions)

    def value(self, measure: int, hood_id: int, topic_id: int, start: date) -> int | None:
        if self.interval is Interval.NONE:
            by_month = {m: self._tally(measure, hood_id, topic_id, m) for m in self.months}
            return rules.months_value(self.months, by_month, self.threshold, self.today)
        tally = self._tally(measure, hood_id, topic_id, start)
        return rules.period_value(self.interval, start, tally, self.threshold, self.today)

    def _tally(self, measure: int, hood_id: int, topic_id: int, start: date) -> Tally:
        return self.tallies.get((measure, hood_id, topic_id, start), rules.EMPTY)


# --- SQL ----------------------------------------------------------------------------------

# Ended days only, from their snapshot (resolvers/insight_snapshots.py): never live rows.
_STATEMENT = """
WITH days AS (
    SELECT 0 AS measure, neighbourhood_id AS nb, topic_id AS topic, day, posts AS n
    FROM insight_day
    WHERE neighbourhood_id {ids} AND day >= {low} AND day < {high} AND posts > 0
    UNION ALL
    SELECT 1, neighbourhood_id, topic_id, day, comments
    FROM insight_day
    WHERE neighbourhood_id {ids} AND day >= {low} AND day < {high} AND comments > 0
    UNION ALL
    SELECT 2, neighbourhood_id, topic_id, day, reactions
    FROM insight_day
    WHERE neighbourhood_id {ids} AND day >= {low} AND day < {high} AND reactions > 0
)
SELECT measure, nb, topic, {period} AS period,
       CAST(SUM(n) AS BIGINT) AS total,
       CAST(SUM(CASE WHEN n < {threshold} THEN n ELSE 0 END) AS BIGINT) AS hidden_sum,
       CAST(SUM(CASE WHEN n < {threshold} THEN 1 ELSE 0 END) AS BIGINT) AS hidden_days
FROM days
GROUP BY 1, 2, 3, 4
"""

_PERIOD = {
    "postgres": {
        Interval.DAY: "day",
        Interval.WEEK: "date_trunc('week', day::timestamp)::date",
        Interval.MONTH: "date_trunc('month', day::timestamp)::date",
    },
    "sqlite": {
        Interval.DAY: "day",
        Interval.WEEK: "date(day, '-6 days', 'weekday 1')",
        Interval.MONTH: "strftime('%Y-%m-01', day)",
    },
}


def statement(
    dialect: str, hood_ids: Sequence[int], low: date, high: date, interval: Interval, threshold: int
) -> str:
    """The SQL, values written in; NONE is counted by month and summed in Python.

    Why no placeholders: asyncpg prepares every statement, and after five runs PostgreSQL
    may switch to a generic plan that cannot see how much of the tables the range and the
    neighbourhoods cover; on the benchmark's city (bench/README.md) that plan ran 3 times
    slower than the custom one. The values are integers and dates formatted here, never
    request text: `int()` and `date.isoformat()` leave nothing to inject.
    """
    grouping = Interval.MONTH if interval is Interval.NONE else interval
    # A date: PostgreSQL's date column, SQLite's "YYYY-MM-DD" text, compared alike.
    moment = "DATE '{}'" if dialect == "postgres" else "'{}'"
    marks = {
        "low": moment.format(low.isoformat()),
        "high": moment.format(high.isoformat()),
        "threshold": str(int(threshold)),
        "ids": "IN ({})".format(", ".join(str(int(i)) for i in hood_ids)),
        "period": _PERIOD[dialect][grouping],
    }
    sql = _STATEMENT
    for name, mark in marks.items():
        sql = sql.replace(f"{{{name}}}", mark)
    return sql


async def day_tallies(
    hood_ids: Sequence[int], low: date, high: date, interval: Interval, threshold: int
) -> dict[Key, Tally]:
    conn = connections.get("default")
    sql = statement(conn.capabilities.dialect, hood_ids, low, high, interval, threshold)
    _, rows = await conn.execute_query(sql)
    return {
        (r[0], r[1], r[2], _as_date(r[3])): Tally(total=r[4], hidden_sum=r[5], hidden_days=r[6])
        for r in rows
    }


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)
