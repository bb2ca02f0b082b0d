"""The suppression rules and the aligned periods, without a database. T = 5 unless told."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from itertools import product

import pytest

from resolvers.suppression import (
    EMPTY,
    Interval,
    Tally,
    aligned,
    day_value,
    has_ended,
    month_value,
    months_value,
    period_starts,
    period_value,
    range_value,
    week_value,
)

T = 5
LONG_AGO = date(2030, 1, 1)  # "today" for tests where every period has ended


def tally(*days: int, threshold: int = T) -> Tally:
    return Tally.of_days(days, threshold)


@pytest.mark.parametrize(
    ("count", "shown"), [(0, 0), (1, None), (4, None), (5, 5), (6, 6), (120, 120)]
)
def test_a_day_hides_counts_from_1_to_the_threshold_minus_1(count, shown):
    assert day_value(count, T) == shown


def test_a_tally_adds_the_days_and_the_suppressed_ones_apart():
    assert tally(0, 3, 7, 4, 5) == Tally(total=19, hidden_sum=7, hidden_days=2)


@pytest.mark.parametrize(
    ("days", "shown"),
    [
        ((), 0),
        ((5, 6, 0, 0, 10), 21),
        ((5, 6, 1), None),  # week minus visible days = 1
        ((4, 4), None),  # 8 >= T, but the days are still the only source of the 4s
    ],
)
def test_a_week_is_shown_only_when_every_day_is(days, shown):
    assert week_value(tally(*days)) == shown


@pytest.mark.parametrize(
    ("days", "shown", "why"),
    [
        ((), 0, "empty"),
        ((5, 10, 7), 22, "every day visible"),
        ((3,), None, "primary: 3 < T"),
        ((3, 5, 5), None, "month - visible days = 3, one day"),
        ((2, 3, 5), 10, "S = 5 over two days: each in 1..4"),
        ((3, 3), 6, "S = 6 over two days: each in 2..4"),
        ((4, 3, 20), 27, "S = 7 over two days: each in 3..4"),
        ((4, 4), None, "S = 8 = 2 (T - 1): both are 4"),
        ((4, 4, 9), None, "S = 8 = 2 (T - 1): both are 4, whatever else"),
        ((2, 2), None, "S = 4 < T"),
        ((1, 1, 1, 1, 1), None, "S = 5 = k: all are 1"),
        ((1, 1, 1, 1, 2), 6, "S = 6 over five days: each in 1..2"),
        ((4, 4, 4, 4, 4), None, "S = 20 = 5 (T - 1): all are 4"),
        ((4, 4, 4, 4, 3), 19, "S = 19 over five days: each in 3..4"),
    ],
)
def test_a_month_is_shown_only_when_its_suppressed_days_stay_hidden(days, shown, why):
    assert month_value(tally(*days), T) == shown, why


@pytest.mark.parametrize("threshold", [3, 4, 5, 6, 10])
def test_no_visible_month_pins_down_a_suppressed_day(threshold):
    # Every month of 1 to 3 suppressed days (and one visible day of `threshold`): if the month
    # is shown, each suppressed day must keep at least two values consistent with what is
    # known (each in 1..T-1, their sum = month - visible days), and that sum must be >= T.
    small = range(1, threshold)
    for k in (1, 2, 3):
        for days in product(small, repeat=k):
            if month_value(tally(*days, threshold, threshold=threshold), threshold) is None:
                continue
            total = sum(days)
            assert total >= threshold
            consistent = [d for d in product(small, repeat=k) if sum(d) == total]
            for i in range(k):
                assert len({d[i] for d in consistent}) >= 2, (days, i)


def test_with_a_threshold_of_two_a_month_with_a_suppressed_day_is_never_shown():
    assert month_value(tally(1, 1, 1, threshold=2), 2) is None
    assert month_value(tally(2, 3, threshold=2), 2) == 5


@pytest.mark.parametrize(
    ("months", "shown"),
    [([], 0), ([6, 0, 7], 13), ([6, None, 7], None), ([None], None)],
)
def test_a_range_is_a_sum_of_visible_months_or_nothing(months, shown):
    assert range_value(months) == shown


def test_prefix_differences_of_ranges_never_isolate_a_suppressed_month():
    jan, feb, mar = date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1)
    tallies = {jan: tally(6), feb: tally(2), mar: tally(7)}
    months = [jan, feb, mar]

    ranges = {
        (i, j): months_value(months[i : j + 1], tallies, T, LONG_AGO)
        for i in range(3)
        for j in range(i, 3)
    }

    known = {r: v for r, v in ranges.items() if v is not None}
    assert known == {(0, 0): 6, (2, 2): 7}


def test_a_period_that_has_not_ended_is_withheld():
    today = date(2024, 3, 13)  # a Wednesday

    assert has_ended(date(2024, 3, 12), Interval.DAY, today)
    assert not has_ended(date(2024, 3, 13), Interval.DAY, today)
    assert has_ended(date(2024, 3, 4), Interval.WEEK, today)
    assert not has_ended(date(2024, 3, 11), Interval.WEEK, today)
    assert has_ended(date(2024, 2, 1), Interval.MONTH, today)
    assert not has_ended(date(2024, 3, 1), Interval.MONTH, today)
    assert period_value(Interval.MONTH, date(2024, 3, 1), tally(50), T, today) is None
    assert period_value(Interval.MONTH, date(2024, 2, 1), tally(50), T, today) == 50
    tallies = {date(2024, 2, 1): tally(50), date(2024, 3, 1): EMPTY}
    assert months_value(list(tallies), tallies, T, today) is None


@pytest.mark.parametrize(
    ("interval", "start", "end", "low", "high"),
    [
        ("DAY", datetime(2024, 1, 10, 13), datetime(2024, 1, 12), date(2024, 1, 10), date(2024, 1, 12)),
        ("DAY", datetime(2024, 1, 10), datetime(2024, 1, 12, 0, 0, 1), date(2024, 1, 10), date(2024, 1, 13)),
        ("WEEK", datetime(2024, 2, 1), datetime(2024, 2, 5), date(2024, 1, 29), date(2024, 2, 5)),
        ("WEEK", datetime(2024, 2, 1), datetime(2024, 2, 5, 1), date(2024, 1, 29), date(2024, 2, 12)),
        ("MONTH", datetime(2024, 1, 31), datetime(2024, 2, 1), date(2024, 1, 1), date(2024, 2, 1)),
        ("MONTH", datetime(2024, 12, 5), datetime(2025, 1, 5), date(2024, 12, 1), date(2025, 2, 1)),
        ("NONE", datetime(2024, 1, 15), datetime(2024, 3, 15), date(2024, 1, 1), date(2024, 4, 1)),
    ],
)  # fmt: skip
def test_ranges_are_widened_to_whole_utc_periods(interval, start, end, low, high):
    assert aligned(start, end, Interval(interval)) == (low, high)


def test_offsets_are_read_in_utc():
    brussels = timezone(timedelta(hours=1))

    low, high = aligned(
        datetime(2024, 2, 1, 0, 30, tzinfo=brussels),
        datetime(2024, 3, 1, 0, 30, tzinfo=brussels),
        Interval.MONTH,
    )

    assert (low, high) == (date(2024, 1, 1), date(2024, 3, 1))
    assert aligned(
        datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 2, tzinfo=UTC), Interval.DAY
    ) == (date(2024, 1, 1), date(2024, 1, 2))


def test_periods_start_on_midnights_mondays_and_firsts():
    assert period_starts(date(2024, 2, 27), date(2024, 3, 2), Interval.DAY) == [
        date(2024, 2, 27),
        date(2024, 2, 28),
        date(2024, 2, 29),
        date(2024, 3, 1),
    ]
    assert period_starts(date(2024, 12, 23), date(2025, 1, 13), Interval.WEEK) == [
        date(2024, 12, 23),
        date(2024, 12, 30),
        date(2025, 1, 6),
    ]
    assert period_starts(date(2024, 11, 1), date(2025, 2, 1), Interval.MONTH) == [
        date(2024, 11, 1),
        date(2024, 12, 1),
        date(2025, 1, 1),
    ]
    assert period_starts(date(2024, 11, 1), date(2025, 2, 1), Interval.NONE) == [date(2024, 11, 1)]
