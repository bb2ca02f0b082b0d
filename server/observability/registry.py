"""Which registry a scrape reads, shared by /metrics and the metrics listener. Imports only
prometheus-client: the listener runs in `quartier serve`'s supervising process, which must
not create metric files of its own in the workers' directory."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from prometheus_client import REGISTRY, CollectorRegistry, multiprocess

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"


def multiprocess_mode() -> bool:
    return bool(os.environ.get(MULTIPROCESS_ENV))


def scrape_registry() -> CollectorRegistry:
    """Every worker's files in multiprocess mode, else this process's metrics."""
    if not multiprocess_mode():
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


def prepare_multiprocess() -> Path | None:
    """Before several workers start: an empty directory for their metric files, named by
    PROMETHEUS_MULTIPROC_DIR (emptied: values of a previous run would be added to this
    one's) or made here. Returns the directory made here, for the caller to remove."""
    chosen = os.environ.get(MULTIPROCESS_ENV)
    if chosen:
        directory = Path(chosen)
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.db"):
            stale.unlink()
        return None
    made = Path(tempfile.mkdtemp(prefix="quartier-metrics-"))
    os.environ[MULTIPROCESS_ENV] = str(made)
    return made


def remove(directory: Path | None) -> None:
    if directory is not None:
        shutil.rmtree(directory, ignore_errors=True)
