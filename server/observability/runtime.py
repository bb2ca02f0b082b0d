"""What the observability parts do while the app runs: the pool gauges sampled every few
seconds (each worker's own, so a scrape of any worker sees all), and on shutdown the last
spans flushed and this worker's gauges dropped from the shared metrics."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING, Any

from server.observability import metrics
from server.observability.registry import multiprocess_mode

if TYPE_CHECKING:
    from server.observability.health import Readiness
    from server.observability.tracing import Tracing

SAMPLE_SECONDS = 5.0

Lifespan = Callable[[Any], AbstractAsyncContextManager[None]]


async def _sample_forever() -> None:
    while True:
        metrics.sample_pool()
        await asyncio.sleep(SAMPLE_SECONDS)


def lifespan(inner: Lifespan, readiness: Readiness, tracing: Tracing | None) -> Lifespan:
    @asynccontextmanager
    async def run(app: Any) -> AsyncIterator[None]:
        async with inner(app):
            sampler = asyncio.create_task(_sample_forever())
            try:
                yield
            finally:
                sampler.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sampler
                await readiness.close()
                if tracing is not None:
                    tracing.shutdown()
                if multiprocess_mode():
                    from prometheus_client import multiprocess

                    multiprocess.mark_process_dead(os.getpid())

    return run
