"""Consultation results against an exhaustive solver: for every table of a small space, every
table that would be published the same (the rule is public, so an attacker may run it on
each candidate) gives each hidden cell at least two values, and no hidden total is a small
count pinned down. No database."""

from __future__ import annotations

import itertools
from collections import defaultdict

import pytest

from resolvers.consultation_suppression import (
    Table,
    Totals,
    line_is_safe,
    protect_table,
    protect_totals,
)


def _tables(rows: int, columns: int, most: int):
    """Every table of `rows` x `columns` cells from 0 to `most`."""
    keys = [(r, c) for r in range(rows) for c in range(columns)]
    for values in itertools.product(range(most + 1), repeat=len(keys)):
        yield dict(zip(keys, values, strict=True))


def _sums(ranges: list[tuple[int, int]], total: int | None):
    """Every tuple of values in `ranges` (adding up to `total` when it is known)."""
    if not ranges:
        if total in (None, 0):
            yield ()
        return
    (lo, hi), rest = ranges[0], ranges[1:]
    rest_lo, rest_hi = sum(r[0] for r in rest), sum(r[1] for r in rest)
    for value in range(lo, hi + 1):
        if total is not None and not rest_lo <= total - value <= rest_hi:
            continue
        for tail in _sums(rest, None if total is None else total - value):
            yield (value, *tail)


def _candidates(table: Table, rows: int, columns: int, threshold: int, bound: int):
    """Every table agreeing with what `table` shows: visible cells and totals, each hidden
    cell in its interval (what one who knew why it is hidden would know), and at least T
    answers in each neighbourhood showing a cell."""
    shown = {k: v for k, v in table.cells.items() if v is not None}
    per_column = []
    for c in range(columns):
        keys = [(r, c) for r in range(rows) if (r, c) in table.hidden]
        ranges = [(lo, min(hi, bound)) for lo, hi in (table.hidden[k] for k in keys)]
        total = table.totals.by_option[c]
        rest = None if total is None else total - sum(shown.get((r, c), 0) for r in range(rows))
        per_column.append([dict(zip(keys, values, strict=True)) for values in _sums(ranges, rest)])
    # A neighbourhood with a visible cell is not one of the small ones, which are hidden
    # whole: it has no answer or at least T.
    open_rows = [r for r in range(rows) if any((r, c) in shown for c in range(columns))]
    for parts in itertools.product(*per_column):
        cells = dict(shown)
        for part in parts:
            cells.update(part)
        if table.totals.responses not in (None, sum(cells.values())):
            continue
        if any(0 < sum(cells[(r, c)] for c in range(columns)) < threshold for r in open_rows):
            continue
        yield cells


def _pinned(rows: int, columns: int, most: int, threshold: int):
    """Hidden cells that take a single value over the tables agreeing with what is shown."""
    pinned = []
    for cells in _tables(rows, columns, most):
        table = protect_table(cells, list(range(rows)), list(range(columns)), threshold)
        bound = sum(cells.values()) + threshold
        seen: dict[tuple[int, int], set[int]] = defaultdict(set)
        for candidate in _candidates(table, rows, columns, threshold, bound):
            for key in table.hidden:
                seen[key].add(candidate[key])
        pinned += [(cells, key) for key in table.hidden if len(seen[key]) < 2]
    return pinned


@pytest.mark.parametrize(
    ("rows", "columns", "most", "threshold"),
    [(1, 3, 7, 3), (2, 2, 6, 3), (3, 2, 3, 3), (2, 3, 3, 3), (2, 2, 6, 4), (2, 2, 8, 5)],
    ids=lambda value: str(value),
)
def test_no_hidden_cell_is_pinned_by_what_is_published(rows, columns, most, threshold):
    assert _pinned(rows, columns, most, threshold) == []


def test_the_issue_table_keeps_every_hidden_cell_open():
    # X answered once in each of five neighbourhoods, Y four times in each of two.
    cells = {(n, "X"): 1 for n in "ABCDE"} | {("A", "Y"): 4, ("B", "Y"): 4}

    table = protect_table(cells, list("ABCDE"), ["X", "Y"], 5)

    assert table.totals == Totals({"X": 5, "Y": 8}, 13)
    assert all(value is None for value in table.cells.values())
    # With the threshold's intervals, the line of X (sum 5 over two small cells and three
    # cells of small neighbourhoods) and of Y (sum 8) leave every cell two values at least.
    assert line_is_safe(5, [(1, 4), (1, 4), (0, 4), (0, 4), (0, 4)], 5)
    assert line_is_safe(8, [(1, 4), (1, 4), (0, 4), (0, 4), (0, 4)], 5)


def test_a_line_of_cells_all_at_their_least_or_most_is_pinned():
    assert not line_is_safe(5, [(1, 4)] * 5, 5)
    assert not line_is_safe(8, [(1, 4)] * 2, 5)
    assert line_is_safe(7, [(1, 4)] * 2, 5)


def test_a_small_total_hides_and_a_second_total_protects_it():
    assert protect_totals({"oui": 9, "non": 2, "sans avis": 6}, 5) == Totals(
        {"oui": 9, "non": None, "sans avis": None}, 17
    )


def test_fewer_answers_than_the_threshold_show_nothing():
    assert protect_totals({"oui": 3, "non": 1}, 5) == Totals({"oui": None, "non": None}, None)


def test_a_neighbourhood_where_no_option_reaches_the_threshold_hides_its_zeros_too():
    cells = {("A", "oui"): 2, ("B", "oui"): 6, ("B", "non"): 7, ("C", "oui"): 8, ("C", "non"): 9}

    table = protect_table(cells, ["A", "B", "C"], ["oui", "non"], 5)

    assert table.cells[("A", "non")] is None
