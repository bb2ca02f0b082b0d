"""Prometheus metrics at /metrics: requests by operation and outcome, latency, error codes,
the database pool, websockets; who may read them; several workers added up."""

from __future__ import annotations

import asyncio
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket

from server.app import create_app
from server.observability import metrics
from server.observability.middleware import RequestObserver
from server.settings import Environment, Settings
from tests.processes import STARTUP_SECONDS, Process, app_env, free_port, spawn, wait_until_ready

TOKEN = "jeton-de-supervision-0123456789"
ORIGIN = "https://quartier.lalouviere.be"
LOGIN = "mutation Login($input: LoginInput!) { login(input: $input) { token userErrors { code } } }"


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def scraped(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def production_settings(database_url: str, **extra: str | None) -> Settings:
    return Settings(
        database_url=database_url,
        environment=Environment.PRODUCTION,
        cors_origins=(ORIGIN,),
        **extra,  # type: ignore[arg-type]
    )


async def client_for(settings: Settings) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_app(settings, manage_database=False))
    return httpx.AsyncClient(transport=transport, base_url="http://quartier.test")


# --- what is counted ---------------------------------------------------------------------


async def test_a_query_is_counted_by_name_type_and_outcome_with_its_latency(api, world):
    before = value("quartier_graphql_requests_total", operation="Me", type="query", outcome="ok")
    timed = value("quartier_graphql_request_duration_seconds_count", operation="Me", type="query")

    result = await api.client.post(
        "/graphql",
        json={"query": "query Me { viewer { displayName } }", "operationName": "Me"},
        headers={"Authorization": f"Bearer {world.alice_token}"},
    )

    assert result.json() == {"data": {"viewer": {"displayName": "Alice Dupont"}}}
    assert value("quartier_graphql_requests_total", operation="Me", type="query", outcome="ok") == (
        before + 1
    )
    assert value(
        "quartier_graphql_request_duration_seconds_count", operation="Me", type="query"
    ) == (timed + 1)


async def test_error_codes_and_user_error_codes_are_counted(api, world):
    def errors(kind: str, code: str, operation: str) -> float:
        return value("quartier_graphql_errors_total", operation=operation, kind=kind, code=code)

    refused = errors("error", "UNAUTHENTICATED", "Topics")
    wrong = errors("user_error", "INVALID_CREDENTIALS", "Login")
    failed = value(
        "quartier_graphql_requests_total", operation="Login", type="mutation", outcome="user_error"
    )
    variables = {"input": {"email": "personne@example.be", "password": "pas-le-bon-mot"}}

    await api("query Topics { topics { slug } }")
    await api.client.post("/graphql", json={"query": LOGIN, "variables": variables})

    assert errors("error", "UNAUTHENTICATED", "Topics") == refused + 1
    assert errors("user_error", "INVALID_CREDENTIALS", "Login") == wrong + 1
    assert (
        value(
            "quartier_graphql_requests_total",
            operation="Login",
            type="mutation",
            outcome="user_error",
        )
        == failed + 1
    )


async def test_a_document_that_does_not_parse_or_validate_is_counted_with_its_code(api):
    parse = value(
        "quartier_graphql_errors_total",
        operation="anonymous",
        kind="error",
        code="GRAPHQL_PARSE_FAILED",
    )
    invalid = value(
        "quartier_graphql_errors_total",
        operation="Nope",
        kind="error",
        code="GRAPHQL_VALIDATION_FAILED",
    )

    await api("{ viewer { ")
    await api("query Nope { nope }")

    assert (
        value(
            "quartier_graphql_errors_total",
            operation="anonymous",
            kind="error",
            code="GRAPHQL_PARSE_FAILED",
        )
        == parse + 1
    )
    assert (
        value(
            "quartier_graphql_errors_total",
            operation="Nope",
            kind="error",
            code="GRAPHQL_VALIDATION_FAILED",
        )
        == invalid + 1
    )


def test_operation_names_past_the_limit_are_counted_as_other(monkeypatch):
    monkeypatch.setattr(metrics, "_seen", {f"Op{i}" for i in range(metrics.MAX_OPERATION_NAMES)})

    assert metrics.operation_label("Op7") == "Op7"
    assert metrics.operation_label("Nouvelle") == "other"
    assert metrics.operation_label(None) == "anonymous"


async def test_the_pool_gauges_show_this_process_connections(api, world, settings):
    await api("{ viewer { id } }", token=world.alice_token)

    page = await api.client.get("/metrics")
    samples = scraped(page.text)

    maximum = samples[("quartier_db_pool_max_connections", ())]
    in_use = samples[("quartier_db_pool_connections", (("state", "in_use"),))]
    idle = samples[("quartier_db_pool_connections", (("state", "idle"),))]
    postgres = settings.database_url.startswith("postgres")
    assert maximum == (10 if postgres else 1)
    assert in_use + idle >= 1
    assert in_use + idle <= maximum


async def test_open_websockets_are_counted_while_they_last():
    """Any websocket route behind the middleware counts (subscriptions will be one), driven
    here through the ASGI messages a server sends."""

    async def echo(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text(await websocket.receive_text())
        await websocket.close()

    app = RequestObserver(Starlette(routes=[WebSocketRoute("/ws", echo)]))
    inbox: asyncio.Queue[dict] = asyncio.Queue()
    outbox: asyncio.Queue[dict] = asyncio.Queue()
    scope = {"type": "websocket", "path": "/ws", "headers": [], "query_string": b"",
             "scheme": "ws", "server": ("quartier.test", 80), "subprotocols": []}  # fmt: skip
    before = value("quartier_websocket_connections")

    connection = asyncio.create_task(app(scope, inbox.get, outbox.put))
    await inbox.put({"type": "websocket.connect"})
    accepted = await outbox.get()
    during = value("quartier_websocket_connections")
    await inbox.put({"type": "websocket.receive", "text": "bonjour"})
    echoed = await outbox.get()
    closed = await outbox.get()
    await connection

    assert [accepted["type"], echoed, closed["type"]] == [
        "websocket.accept",
        {"type": "websocket.send", "text": "bonjour"},
        "websocket.close",
    ]
    assert (during, value("quartier_websocket_connections")) == (before + 1, before)


async def test_a_refused_websocket_is_counted_as_a_403_and_never_as_open():
    async def refuse(websocket: WebSocket) -> None:
        await websocket.close()

    app = RequestObserver(Starlette(routes=[WebSocketRoute("/ws", refuse)]))
    sent: list[dict] = []
    scope = {"type": "websocket", "path": "/ws", "headers": [], "query_string": b"",
             "scheme": "ws", "server": ("quartier.test", 80), "subprotocols": []}  # fmt: skip
    refused = value(
        "quartier_http_requests_total", handler="other", method="WEBSOCKET", status="403"
    )
    opened = value("quartier_websocket_connections")

    async def receive() -> dict:
        return {"type": "websocket.connect"}

    async def send(message: dict) -> None:
        sent.append(message)

    await app(scope, receive, send)

    assert [m["type"] for m in sent] == ["websocket.close"]
    assert value("quartier_websocket_connections") == opened
    assert (
        value("quartier_http_requests_total", handler="other", method="WEBSOCKET", status="403")
        == refused + 1
    )


# --- who may read them -------------------------------------------------------------------


async def test_development_serves_the_metrics_to_anyone(api):
    page = await api.client.get("/metrics")

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/plain; version=")
    assert "# TYPE quartier_graphql_requests_total counter" in page.text


async def test_production_without_a_token_serves_them_only_on_the_listener(database_url):
    async with await client_for(production_settings(database_url)) as client:
        page = await client.get("/metrics")

    assert (page.status_code, page.text) == (404, "Not Found")


async def test_production_with_a_token_asks_for_it(database_url):
    settings = production_settings(database_url, metrics_token=TOKEN)
    async with await client_for(settings) as client:
        missing = await client.get("/metrics")
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer " + "x" * 30})
        right = await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})

    for refused in (missing, wrong):
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"] == 'Bearer realm="metrics"'
    assert right.status_code == 200
    assert "quartier_http_requests_total" in right.text


# --- two workers, one listener -----------------------------------------------------------


@pytest.fixture(scope="module")
def two_workers(
    tmp_path_factory: pytest.TempPathFactory, database_url: str
) -> Iterator[tuple[Process, str, Path]]:
    """`quartier serve --workers 2` in production, with a metrics listener of its own."""
    directory = tmp_path_factory.mktemp("workers")
    port, listener = free_port(), f"127.0.0.1:{free_port()}"
    files = directory / "metrics"
    env = app_env(
        database_url,
        QUARTIER_ENV="production",
        QUARTIER_CORS_ORIGINS=ORIGIN,
        QUARTIER_METRICS_LISTEN=listener,
        PROMETHEUS_MULTIPROC_DIR=str(files),
    )
    command = [sys.executable, "-m", "server.cli", "serve", "--port", str(port), "--workers", "2"]
    server = spawn("quartier serve", command, env, directory / "log", f"http://127.0.0.1:{port}")
    try:
        wait_until_ready(server, deadline=time.monotonic() + 2 * STARTUP_SECONDS)
        yield server, f"http://{listener}", files
    finally:
        server.stop()


def test_two_workers_add_up_their_counts_on_the_listener(two_workers):
    server, listener, files = two_workers
    requests = 40
    body = {"query": "query Topics { topics { slug } }", "operationName": "Topics"}

    for _ in range(requests):
        # A new connection each time, so the kernel hands them to either worker.
        with httpx.Client(base_url=server.url, timeout=10) as client:
            client.post("/graphql", json=body, headers={"Origin": ORIGIN})
    on_the_api = httpx.get(f"{server.url}/metrics", timeout=10)
    samples = scraped(httpx.get(f"{listener}/metrics", timeout=10).text)

    key = (
        "quartier_graphql_requests_total",
        (("operation", "Topics"), ("outcome", "error"), ("type", "query")),
    )
    assert samples[key] == requests
    workers = {re.sub(r"^\w+?_(?:livesum_)?(\d+)\.db$", r"\1", p.name) for p in files.glob("*.db")}
    assert len(workers) == 2, sorted(p.name for p in files.glob("*.db"))
    assert on_the_api.status_code == 404
