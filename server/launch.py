"""The `quartier` command's entry point: the modules load with the cyclic collector paused.

Loading the service builds a few hundred thousand objects that live as long as the process
(modules, classes, the schema). With the collector's default threshold it walked them about
280 times while they loaded: about a tenth of the CPU `quartier serve` spends before its first
answer (bench.startup). Nothing built while loading is garbage worth collecting; the server
freezes all of it once the app is built (`server.app.tune_garbage_collector`).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def main() -> int:
    with collector_paused():
        from server import cli
    return cli.main()
