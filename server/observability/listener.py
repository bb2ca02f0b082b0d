"""The metrics listener (QUARTIER_METRICS_LISTEN=host:port): /metrics alone, on an address
that only the monitoring network reaches, served from `quartier serve`'s own process by
prometheus-client's HTTP server. With several workers it reads their shared files."""

from __future__ import annotations

from server.observability.registry import scrape_registry
from server.settings import listen_address


def start(address: str) -> None:
    from prometheus_client import start_http_server

    host, port = listen_address(address)
    # A daemon thread: it stops with the process.
    start_http_server(port, addr=host, registry=scrape_registry())
