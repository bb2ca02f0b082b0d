"""Privacy chores a long-running process does beside its main work (`quartier worker`):
purging hidden content's words once its retention is over (resolvers/purge.py), and freezing
topicInsights' ended days soon after midnight instead of on the city's first request
(resolvers/insight_snapshots.py). Each round is idempotent: several workers may run it."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from tortoise.timezone import now

from models.geography import Neighbourhood
from resolvers import insight_snapshots, purge
from resolvers.suppression import utc_day
from server.settings import Settings

log = logging.getLogger("quartier.housekeeping")
EVERY_SECONDS = 600


async def run_once(settings: Settings) -> int:
    """One round; returns how many hidden contents lost their words."""
    purged = await purge.purge_hidden(settings.hidden_retention_days)
    await insight_snapshots.freeze(await Neighbourhood.all(), utc_day(now()))
    if purged:
        log.info("purged the words of %d hidden contents past retention", purged)
    return purged


async def run(settings: Settings, stop: asyncio.Event, every: float = EVERY_SECONDS) -> None:
    """Until `stop` is set: a round, then a wait."""
    while not stop.is_set():
        try:
            await run_once(settings)
        except Exception:
            # The database went away for a moment, for instance: the next round retries.
            log.exception("housekeeping round failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)
