"""Counts of residents read from outside their neighbourhood: a neighbourhood's registered and
verified residents, an announcement's audience, recipients and readers. Pure, no database.

A figure about fewer than T residents (T the suppression threshold; 0 is shown) comes back
null, and so does a figure from which one could be worked out:

- Registered minus verified is the count of unverified residents: registered is hidden when
  that difference is small.
- An audience is a sum of places. A NEIGHBOURHOODS target is shown only when each of its
  neighbourhoods' own figure is (it is then a sum of visible figures). A CITY target adds the
  hidden neighbourhoods to the visible ones: it is shown only when their sum S, like the
  suppressed days of a topicInsights month (resolvers/suppression.py, rule 4), is 0, or at
  least T without pinning any of them. A STREETS target is shown only when each street is 0
  or at least T and, in each neighbourhood it touches, the streets that are hidden pass the
  same rule against the neighbourhood's visible figure: no difference of two targets, nor a
  neighbourhood minus its streets, isolates a small street.
- Readers: hidden with the recipients, and when the readers or the recipients who have not
  read are few: both are read receipts for fewer than T people.

The residents of the neighbourhood itself (verified or not) and moderators see their exact
progress to activation; the schema decides who is outside.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from models.city import TargetScope
from resolvers.suppression import Tally, is_small, month_value

Place = tuple[int, int]  # neighbourhood id, street id


def shown(count: int, threshold: int) -> int | None:
    return None if is_small(count, threshold) else count


def resident_figures(
    registered: int, verified: int, threshold: int
) -> tuple[int | None, int | None]:
    """A neighbourhood's registered and verified residents as an outsider sees them."""
    hide_registered = is_small(registered, threshold) or (
        not is_small(verified, threshold) and is_small(registered - verified, threshold)
    )
    return (None if hide_registered else registered), shown(verified, threshold)


def _hidden_parts_keep_secret(total: int, parts: Iterable[int], threshold: int) -> bool:
    """Whether a visible total leaves its small parts (the hidden ones) unpinned: rule 4 of
    resolvers/suppression.py, with the parts in place of a month's days."""
    tally = Tally.of_days(parts, threshold)
    return month_value(Tally(total, tally.hidden_sum, tally.hidden_days), threshold) is not None


@dataclass(frozen=True)
class CityResidents:
    """Verified residents of a city per street (with its neighbourhood), now."""

    by_place: Mapping[Place, int]

    def neighbourhood(self, neighbourhood_id: int) -> int:
        return sum(c for (n, _), c in self.by_place.items() if n == neighbourhood_id)

    def neighbourhoods(self) -> dict[int, int]:
        totals: dict[int, int] = defaultdict(int)
        for (n, _), count in self.by_place.items():
            totals[n] += count
        return totals

    def street(self, street_id: int) -> int:
        return sum(c for (_, s), c in self.by_place.items() if s == street_id)

    def streets_of(self, neighbourhood_id: int) -> list[int]:
        return [c for (n, _), c in self.by_place.items() if n == neighbourhood_id]

    def street_neighbourhood(self, street_id: int) -> int | None:
        return next((n for (n, s) in self.by_place if s == street_id), None)


def audience_figure(
    scope: TargetScope,
    neighbourhood_ids: Iterable[int],
    street_ids: Iterable[int],
    residents: CityResidents,
    threshold: int,
    street_homes: Mapping[int, int],
) -> int | None:
    """An audience as the city's roles may read it (`street_homes`: each targeted street's
    neighbourhood, streets without residents included)."""
    if scope is TargetScope.CITY:
        per_hood = residents.neighbourhoods()
        total = sum(per_hood.values())
        ok = not is_small(total, threshold) and _hidden_parts_keep_secret(
            total, per_hood.values(), threshold
        )
        return total if ok else None
    if scope is TargetScope.NEIGHBOURHOODS:
        counts = [residents.neighbourhood(n) for n in set(neighbourhood_ids)]
        return None if any(is_small(c, threshold) for c in counts) else sum(counts)
    total = 0
    for street in set(street_ids):
        count = residents.street(street)
        if count and not _street_safe(street_homes[street], residents, threshold):
            return None
        if is_small(count, threshold):
            return None
        total += count
    return total


def _street_safe(neighbourhood_id: int, residents: CityResidents, threshold: int) -> bool:
    """A neighbourhood whose visible figure, minus its visible streets, pins no hidden one."""
    total = residents.neighbourhood(neighbourhood_id)
    if is_small(total, threshold):
        return False
    return _hidden_parts_keep_secret(total, residents.streets_of(neighbourhood_id), threshold)


def read_figure(recipients_shown: bool, recipients: int, reads: int, threshold: int) -> int | None:
    """Readers of an announcement sent to `recipients` residents."""
    if not recipients_shown or is_small(reads, threshold):
        return None
    return None if is_small(recipients - reads, threshold) else reads
