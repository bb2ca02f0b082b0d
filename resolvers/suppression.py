"""Small-count suppression for topicInsights: which figures a caller may see. Pure, no database.

A cell is (neighbourhood, topic, period); each of its three measures (posts, comments,
reactions) is protected on its own, and a row is `suppressed` when any of its measures is null.
Every (neighbourhood, topic, period) of the requested grid is returned, zeros included, so the
absence of a row leaks nothing and the rows do not depend on the data.

Periods are aligned in UTC: DAY at midnight, WEEK on ISO Mondays, MONTH on the 1st, and NONE is
one range of whole months. `from` is floored and `to` ceiled to those boundaries, so the only
figures ever exposed are day cells, ISO-week cells, calendar-month cells and sums of whole
months. A cell's value and visibility depend on that cell's own days only: asking for one
month or for twelve, for one neighbourhood or for all, gives the same answer for that month.

With T the threshold (a count c is *small* when 1 <= c < T):

0. A period that has not ended yet (today, this week, this month, anything later) is withheld:
   its figures still move, and two readings a moment apart would difference out a small count.
1. Primary: a small count is null; 0 and counts >= T are shown.
2. DAY: the primary rule only.
3. WEEK: shown only if every day inside it is shown. Weeks cross month boundaries, and a week
   is then a sum of visible days: it never reveals what the days do not.
4. MONTH: shown only if its count passes the primary rule and the sum S of its k suppressed
   days (month minus visible days, which anyone can compute) is 0, or is >= T with
   k < S < k * (T - 1). S >= T keeps the suppressed days, taken together, from being a small
   count. The bounds on S go beyond "S is 0 or >= T": every suppressed day lies in [1, T - 1],
   so S = k(T - 1) proves each of them is T - 1 (two suppressed days summing to 8 with T = 5
   are 4 and 4) and S = k proves each is 1; strictly between, every day keeps at least two
   possible values. Days of different months are disjoint and a week holding a suppressed day
   is itself suppressed, so S is the only equation a caller ever gets about those days.
5. NONE (whole months, up to two years): shown only if every month inside passes rule 4. Its
   value is then a sum of visible months, so overlapping ranges (a range minus its prefix)
   cannot isolate a suppressed month.

What this does not stop: figures of ended periods still drop when content is later hidden or
deleted, or a reaction withdrawn, so two readings around a removal differ by the removed count.
Freezing published figures (a snapshot per ended period) would close that; it is not done here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum


class Interval(StrEnum):
    NONE = "NONE"
    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"


@dataclass(frozen=True)
class Tally:
    """What the nonzero days of one period add up to, for one measure of one cell."""

    total: int = 0
    hidden_sum: int = 0
    hidden_days: int = 0

    @classmethod
    def of_days(cls, counts: Iterable[int], threshold: int) -> Tally:
        values = list(counts)
        small = [c for c in values if is_small(c, threshold)]
        return cls(total=sum(values), hidden_sum=sum(small), hidden_days=len(small))


EMPTY = Tally()


def is_small(count: int, threshold: int) -> bool:
    return 1 <= count < threshold


def day_value(count: int, threshold: int) -> int | None:
    """Rules 1 and 2."""
    return None if is_small(count, threshold) else count


def week_value(tally: Tally) -> int | None:
    """Rule 3: a week with a suppressed day is suppressed."""
    return None if tally.hidden_days else tally.total


def month_value(tally: Tally, threshold: int) -> int | None:
    """Rule 4: the month, unless it or the sum of its suppressed days gives a day away."""
    if is_small(tally.total, threshold):
        return None
    hidden, days = tally.hidden_sum, tally.hidden_days
    if hidden == 0:
        return tally.total
    if hidden >= threshold and days < hidden < days * (threshold - 1):
        return tally.total
    return None


def range_value(months: Sequence[int | None]) -> int | None:
    """Rule 5: a sum of whole months, shown only when every month is."""
    if any(m is None for m in months):
        return None
    return sum(m for m in months if m is not None)


def period_value(
    interval: Interval, start: date, tally: Tally, threshold: int, today: date
) -> int | None:
    """The shown value of one DAY, WEEK or MONTH period (rules 0 to 4)."""
    if not has_ended(start, interval, today):
        return None
    if interval is Interval.DAY:
        return day_value(tally.total, threshold)
    if interval is Interval.WEEK:
        return week_value(tally)
    return month_value(tally, threshold)


def months_value(
    months: Sequence[date], tallies: Mapping[date, Tally], threshold: int, today: date
) -> int | None:
    """The shown value of a NONE range, from the tallies of its months (rule 5)."""
    return range_value(
        [period_value(Interval.MONTH, m, tallies.get(m, EMPTY), threshold, today) for m in months]
    )


# --- aligned periods ----------------------------------------------------------------------


def as_utc(moment: datetime) -> datetime:
    """`moment` in UTC; a naive datetime is taken as UTC."""
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def utc_day(moment: datetime) -> date:
    return as_utc(moment).date()


def floor(day: date, interval: Interval) -> date:
    if interval is Interval.DAY:
        return day
    if interval is Interval.WEEK:
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def following(start: date, interval: Interval) -> date:
    """The start of the period after the one starting at `start`."""
    if interval is Interval.DAY:
        return start + timedelta(days=1)
    if interval is Interval.WEEK:
        return start + timedelta(days=7)
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1)


def aligned(start: datetime, end: datetime, interval: Interval) -> tuple[date, date]:
    """[start, end) widened to whole periods: start floored, end ceiled (NONE: to months)."""
    low = floor(utc_day(start), interval)
    high = floor(utc_day(end), interval)
    if as_moment(high) < as_utc(end):
        high = following(high, interval)
    return low, high


def period_starts(low: date, high: date, interval: Interval) -> list[date]:
    """The periods of [low, high); NONE is one period."""
    if interval is Interval.NONE:
        return [low]
    starts = []
    while low < high:
        starts.append(low)
        low = following(low, interval)
    return starts


def months_between(low: date, high: date) -> list[date]:
    return period_starts(low, high, Interval.MONTH)


def has_ended(start: date, interval: Interval, today: date) -> bool:
    """Rule 0: the DAY, WEEK or MONTH starting at `start` ended before `today` began."""
    return following(start, interval) <= today


def as_moment(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)
