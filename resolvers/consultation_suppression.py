"""Which consultation figures a caller sees: the table of answers per neighbourhood (rows) and
option (columns), its option totals and its response count. Pure, no database.

With T the suppression threshold, a count c is small when 1 <= c < T.

Totals (`protect_totals`), what the city reads while the consultation is open: one row, the
option totals, and the response count R beside them.
- R small: nothing is shown.
- Primary: a small option total is hidden.
- The hidden totals then add up to R minus the visible ones. That sum must be 0, or at least
  T and leave each hidden total at least two possible values (interval reasoning below);
  otherwise the smallest visible total of at least T is hidden as well, and when none is
  left, R is.

The table (`protect_table`), what the city reads once the consultation has closed (and
moderators at any time). Its margins are those `protect_totals` gives, so that the totals
read just before the close add nothing to the table read after it.
- Primary: a neighbourhood where answers exist but no option reaches T has all its cells
  hidden, zeros included: its zeros would tell that everyone there chose the remaining
  options, and visible zeros beside hidden cells would tell that these add up to T or more
  (a row with fewer answers is hidden whole). Elsewhere a small cell is hidden; a row that
  shows a cell then shows one of at least T, and tells nothing of its hidden cells' sum.
- Each visible option total fixes the sum of its column's hidden cells; a visible R fixes
  the sum of the hidden cells of the options whose totals are hidden. Row totals are never
  shown, so these sums bear on disjoint sets of cells ("lines").
- A line is safe when its sum S is 0, or at least T with every hidden cell keeping at least
  two possible values. Each hidden cell lies in an interval: [1, T-1] for a small cell,
  [0, T-1] in a small neighbourhood, [T, S] for a cell hidden to protect others; a cell's
  possible values given the others are [max(lo, S - sum of the others' hi),
  min(hi, S - sum of the others' lo)], and every value in between is reachable.
- Secondary: while a line is not safe, its smallest visible cell of at least T is hidden;
  when it has none, its margin is hidden (the option total, whose cells then join the line
  of R; or R itself).

tests/test_consultation_suppression.py checks the outcome against an exhaustive solver: for
every table of small spaces, the solver lists every table that agrees with what is shown,
with each hidden cell in its interval and at least T answers in each neighbourhood that
shows a cell, and each hidden cell takes at least two values among them. What it
does not model: an attacker re-running this rule on each candidate to learn from the
pattern of what is hidden (a candidate that would have been published differently).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from resolvers.suppression import is_small

K = TypeVar("K", bound=Hashable)
R = TypeVar("R", bound=Hashable)
C = TypeVar("C", bound=Hashable)
UNBOUNDED = 10**12

Interval = tuple[int, int]


def line_is_safe(total: int, hidden: Iterable[Interval], threshold: int) -> bool:
    """Hidden values in these intervals, known to sum to `total`: is none of them pinned,
    and is their sum not itself a small count?"""
    intervals = list(hidden)
    if not intervals:
        return True
    if total == 0:
        # Every hidden value is then known to be 0: safe only if nothing is hidden.
        return False
    if is_small(total, threshold):
        return False
    low, high = sum(lo for lo, _ in intervals), sum(hi for _, hi in intervals)
    for lo, hi in intervals:
        least = max(lo, total - (high - hi))
        most = min(hi, total - (low - lo))
        if most - least < 1:
            return False
    return True


@dataclass(frozen=True)
class Totals(Generic[K]):
    """Option totals and the response count as shown: None where hidden."""

    by_option: dict[K, int | None]
    responses: int | None


def protect_totals(totals: Mapping[K, int], threshold: int) -> Totals[K]:
    responses = sum(totals.values())
    if is_small(responses, threshold):
        return Totals(dict.fromkeys(totals), None)
    hidden: dict[K, Interval] = {
        k: (1, threshold - 1) for k, v in totals.items() if is_small(v, threshold)
    }
    shown_responses = True
    while shown_responses:
        rest = responses - sum(v for k, v in totals.items() if k not in hidden)
        if line_is_safe(rest, hidden.values(), threshold):
            break
        candidates = [(v, i) for i, (k, v) in enumerate(totals.items()) if k not in hidden]
        candidates = [(v, i) for v, i in candidates if v >= threshold]
        if candidates:
            key = list(totals)[min(candidates)[1]]
            hidden[key] = (threshold, UNBOUNDED)
        else:
            shown_responses = False
    return Totals(
        {k: None if k in hidden else v for k, v in totals.items()},
        responses if shown_responses else None,
    )


@dataclass(frozen=True)
class Table(Generic[R, C]):
    """Cells (neighbourhood, option), option totals and the response count, as shown; and
    the interval each hidden cell was protected in (what an attacker who knew why each cell
    is hidden would know of it)."""

    cells: dict[tuple[R, C], int | None]
    totals: Totals[C]
    hidden: dict[tuple[R, C], Interval]


def protect_table(
    cells: Mapping[tuple[R, C], int], rows: list[R], columns: list[C], threshold: int
) -> Table[R, C]:
    value = {(r, c): cells.get((r, c), 0) for r in rows for c in columns}
    column_totals = {c: sum(value[(r, c)] for r in rows) for c in columns}
    margins = protect_totals(column_totals, threshold)
    shown_columns = {c for c, v in margins.by_option.items() if v is not None}
    shown_responses = margins.responses is not None
    hidden = _primary(value, rows, columns, threshold)
    responses = sum(column_totals.values())
    while True:
        lines: list[tuple[list[tuple[R, C]], int, C | None]] = [
            (
                [(r, c) for r in rows],
                column_totals[c] - sum(value[(r, c)] for r in rows if (r, c) not in hidden),
                c,
            )
            for c in columns
            if c in shown_columns
        ]
        if shown_responses:
            others = [(r, c) for c in columns if c not in shown_columns for r in rows]
            seen = sum(column_totals[c] for c in shown_columns)
            seen += sum(value[key] for key in others if key not in hidden)
            lines.append((others, responses - seen, None))
        failing = next(
            (
                (keys, margin)
                for keys, total, margin in lines
                if not line_is_safe(total, [hidden[k] for k in keys if k in hidden], threshold)
            ),
            None,
        )
        if failing is None:
            break
        keys, margin = failing
        candidates = [(value[k], i) for i, k in enumerate(keys) if k not in hidden]
        candidates = [(v, i) for v, i in candidates if v >= threshold]
        if candidates:
            hidden[keys[min(candidates)[1]]] = (threshold, UNBOUNDED)
        elif margin is not None:
            shown_columns.discard(margin)
        else:
            shown_responses = False
    return Table(
        {key: None if key in hidden else v for key, v in value.items()},
        Totals(
            {c: column_totals[c] if c in shown_columns else None for c in columns},
            responses if shown_responses else None,
        ),
        hidden,
    )


def _primary(
    value: Mapping[tuple[R, C], int], rows: list[R], columns: list[C], threshold: int
) -> dict[tuple[R, C], Interval]:
    hidden: dict[tuple[R, C], Interval] = {}
    for r in rows:
        counts = [value[(r, c)] for c in columns]
        if any(counts) and max(counts) < threshold:
            hidden.update({(r, c): (0, threshold - 1) for c in columns})
            continue
        for c in columns:
            if is_small(value[(r, c)], threshold):
                hidden[(r, c)] = (1, threshold - 1)
    return hidden
