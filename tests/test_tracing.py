"""OpenTelemetry traces when OTEL_EXPORTER_OTLP_ENDPOINT is set: a real uvicorn exports over
OTLP/HTTP to a receiver in the test (tests/otlp.py) a server span, the operation's span and
a span per SQL statement, in the caller's trace, without what was said. Unset, nothing of
OpenTelemetry is even imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from resolvers.passwords import hash_password
from tests import support
from tests.otlp import Receiver, Span, serve
from tests.processes import STARTUP_SECONDS, Process, app_env, uvicorn, wait_until_ready
from tests.support import ROOT, gid, operation

PASSWORD = "Terril-Bleu-2026!"
EMAIL = "lea.dubois@exemple.be"
TITLE = "Soupe partagée jeudi soir"
BODY = "Apportez un bol, je fais une grande marmite de potiron."
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"


@dataclass
class Traced:
    server: Process
    receiver: Receiver
    dialect: str


@pytest.fixture(scope="module")
def traced(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[Traced]:
    receiver = Receiver()
    collector = serve(receiver)
    env = app_env(
        database_url,
        OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{collector.server_port}",
        # Export every 100 ms instead of every 5 s.
        OTEL_BSP_SCHEDULE_DELAY="100",
    )
    env.pop("OTEL_SERVICE_NAME", None)
    log = tmp_path_factory.mktemp("tracing") / "uvicorn.log"
    server = uvicorn("uvicorn", "server.app:app_from_env", env, log)
    try:
        wait_until_ready(server, deadline=time.monotonic() + STARTUP_SECONDS)
        dialect = "postgresql" if database_url.startswith("postgres") else "sqlite"
        yield Traced(server, receiver, dialect)
    finally:
        server.stop()
        collector.shutdown()
        collector.server_close()


def spans_of(receiver: Receiver, trace_id: str, until: str) -> list[Span]:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        spans = [s for s in receiver.snapshot() if s.trace_id == trace_id]
        if any(s.name == until for s in spans):
            # The statements' spans end before the operation's: all are in by now, or in
            # the same batch.
            return spans
        time.sleep(0.05)
    pytest.fail(f"no span {until!r} in trace {trace_id}: {receiver.snapshot()}")


def descendants(spans: list[Span], root: Span) -> list[Span]:
    found, frontier = [], [root.span_id]
    while frontier:
        children = [s for s in spans if s.parent_id in frontier]
        found += children
        frontier = [s.span_id for s in children]
    return found


async def test_a_feed_request_is_traced_from_the_callers_span_to_each_statement(traced):
    city = await support.make_city()
    hood = await support.make_neighbourhood(city, "Haine-Saint-Paul")
    street = await support.make_street(hood, "Rue Ferrer")
    account, _ = await support.make_resident(street, "Léa Dubois", email=EMAIL)
    account.password_hash = await hash_password(PASSWORD)
    await account.save(update_fields=["password_hash"])
    login = {"input": {"email": EMAIL, "password": PASSWORD}}
    async with httpx.AsyncClient(base_url=traced.server.url, timeout=10) as client:
        signed_in = await client.post(
            "/graphql",
            json={"query": operation("web/account.graphql", "Login"), "operationName": "Login",
                  "variables": login},
        )  # fmt: skip
        token = signed_in.json()["data"]["login"]["token"]
        auth = {"Authorization": f"Bearer {token}"}
        post = {"kind": "DISCUSSION", "title": TITLE, "body": BODY}
        await client.post(
            "/graphql",
            json={"query": operation("web/feed.graphql", "CreatePost"),
                  "operationName": "CreatePost", "variables": {"input": post}},
            headers=auth,
        )  # fmt: skip
        feed = await client.post(
            "/graphql",
            json={"query": operation("web/feed.graphql", "NeighbourhoodFeed"),
                  "operationName": "NeighbourhoodFeed",
                  "variables": {"id": gid("Neighbourhood", hood.id)}},
            headers={**auth, "traceparent": f"00-{TRACE_ID}-{PARENT_ID}-01",
                     "X-Request-Id": "flux-7"},
        )  # fmt: skip
    assert feed.json()["data"]["neighbourhood"]["posts"]["edges"][0]["node"]["title"] == TITLE

    spans = spans_of(traced.receiver, TRACE_ID, "GraphQL query NeighbourhoodFeed")

    [server] = [s for s in spans if s.kind == "SPAN_KIND_SERVER"]
    assert (server.name, server.parent_id, server.service) == (
        "POST /graphql",
        PARENT_ID,
        "quartier",
    )
    assert server.attributes == {
        "http.request.method": "POST",
        "http.route": "/graphql",
        "quartier.request_id": "flux-7",
        "http.response.status_code": 200,
    }
    [operation_span] = [s for s in spans if s.name == "GraphQL query NeighbourhoodFeed"]
    assert operation_span.parent_id == server.span_id
    assert operation_span.attributes == {
        "quartier.request_id": "flux-7",
        "graphql.operation.name": "NeighbourhoodFeed",
        "graphql.operation.type": "query",
    }
    inside = descendants(spans, operation_span)
    assert {s.name for s in inside} >= {
        "GraphQL Parsing",
        "GraphQL Validation",
        "GraphQL Resolving: neighbourhood",
    }
    statements = [s for s in spans if s.kind == "SPAN_KIND_CLIENT"]
    # The feed's six statements (tests/test_statement_counts.py): the token's lookup
    # before the operation, the five others inside it.
    assert len(statements) == 6
    assert [s for s in statements if s not in inside] == [statements[0]]
    assert "auth_token" in statements[0].attributes["db.query.text"]
    assert all(s.name == "SELECT" for s in statements)
    assert all(s.attributes["db.system.name"] == traced.dialect for s in statements)
    assert all("FROM" in s.attributes["db.query.text"].upper() for s in statements)
    # Field spans below the root are not made (their statements are).
    assert not [s for s in inside if s.name == "GraphQL Resolving: title"]


def test_no_span_carries_a_password_an_email_a_token_or_content(traced):
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and not any(
        s.name == "GraphQL mutation CreatePost" for s in traced.receiver.snapshot()
    ):
        time.sleep(0.05)
    spans = traced.receiver.snapshot()
    assert any(s.name == "GraphQL mutation Login" for s in spans)

    text = json.dumps([s.attributes for s in spans] + [s.name for s in spans], ensure_ascii=False)
    for secret in (PASSWORD, EMAIL, TITLE, BODY, "qrt_"):
        assert secret not in text, secret


def test_without_an_endpoint_opentelemetry_is_not_imported_and_no_extension_runs(database_url):
    script = (
        "import json, sys\n"
        "from server.app import create_app\n"
        "from server.settings import Settings\n"
        f"app = create_app(Settings(database_url={database_url!r}), manage_database=False)\n"
        "[graphql] = [r.endpoint for r in app.routes if getattr(r, 'path', '') == '/graphql'"
        " and getattr(r, 'methods', None)]\n"
        "names = [getattr(e, '__name__', type(e).__name__) for e in graphql.schema.extensions]\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('opentelemetry'))\n"
        "print(json.dumps({'loaded': loaded, 'extensions': names}))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    run = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=60, check=True,
    )  # fmt: skip

    found = json.loads(run.stdout)
    assert found["loaded"] == []
    assert "OperationRecorder" in found["extensions"]
    assert not [name for name in found["extensions"] if "Tracing" in name or "Telemetry" in name]
