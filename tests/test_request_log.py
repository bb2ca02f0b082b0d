"""One JSON line per request on a real server's standard output (`quartier serve`), with its
request id, operation, duration, status and error codes, and never a token, a password, an
e-mail address or what a resident wrote."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from resolvers.passwords import hash_password
from tests import support
from tests.processes import STARTUP_SECONDS, Process, app_env, free_port, spawn, wait_until_ready
from tests.support import operation

PASSWORD = "Terril-Bleu-2026!"
EMAIL = "lea.dubois@exemple.be"
SECRET_TITLE = "Mon code de porte est le 4711"
SECRET_BODY = "Je pars en vacances du 3 au 17, la clé est sous le pot de fleurs."
FIELDS = [
    "time",
    "level",
    "logger",
    "event",
    "request_id",
    "method",
    "path",
    "status",
    "duration_ms",
    "operation",
    "operation_type",
    "outcome",
    "error_codes",
    "user_error_codes",
    "pid",
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[Process]:
    directory = tmp_path_factory.mktemp("request-log")
    port = free_port()
    command = [sys.executable, "-m", "server.cli", "serve", "--port", str(port)]
    process = spawn(
        "quartier serve", command, app_env(database_url), directory / "out.log",
        f"http://127.0.0.1:{port}",
    )  # fmt: skip
    try:
        wait_until_ready(process, deadline=time.monotonic() + STARTUP_SECONDS)
        yield process
    finally:
        process.stop()


def request_lines(server: Process, count: int) -> list[dict[str, Any]]:
    """The request lines once `count` of them have been written (the server writes each
    as its response ends, so they may trail the responses by a moment)."""
    deadline = time.monotonic() + 10
    while True:
        lines = [json.loads(line) for line in server.output().splitlines() if line.startswith("{")]
        requests = [line for line in lines if line.get("event") == "request"]
        if len(requests) >= count or time.monotonic() > deadline:
            return requests
        time.sleep(0.05)


async def seed_resident() -> None:
    city = await support.make_city()
    street = await support.make_street(
        await support.make_neighbourhood(city, "Haine-Saint-Paul"), "Rue Ferrer"
    )
    account, _ = await support.make_resident(street, "Léa Dubois", email=EMAIL)
    account.password_hash = await hash_password(PASSWORD)
    await account.save(update_fields=["password_hash"])


async def test_each_request_gives_one_line_that_names_what_happened_and_nothing_said(server):
    await seed_resident()
    before = len(request_lines(server, 0))
    login = operation("web/account.graphql", "Login")
    create = operation("web/feed.graphql", "CreatePost")
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        signed_in = await client.post(
            "/graphql",
            json={"query": login, "operationName": "Login",
                  "variables": {"input": {"email": EMAIL, "password": PASSWORD}}},
            headers={"X-Request-Id": "demande-42"},
        )  # fmt: skip
        token = signed_in.json()["data"]["login"]["token"]
        auth = {"Authorization": f"Bearer {token}"}
        post = {"kind": "DISCUSSION", "title": SECRET_TITLE, "body": SECRET_BODY}
        created = await client.post(
            "/graphql",
            json={"query": create, "operationName": "CreatePost", "variables": {"input": post}},
            headers={**auth, "X-Request-Id": f"{EMAIL} oops"},
        )
        # GET puts the query and its variables in the URL: the line must not carry them.
        fetched = await client.get(
            "/graphql",
            params={
                "query": "query Mine($t: ID!) { viewer { email } post(id: $t) { id } }",
                "variables": json.dumps({"t": SECRET_TITLE}),
            },
            headers={**auth, "Accept": "application/json"},
        )
        wrong = await client.post(
            "/graphql",
            json={"query": login, "operationName": "Login",
                  "variables": {"input": {"email": EMAIL, "password": "pas-le-bon"}}},
        )  # fmt: skip
        anonymous = await client.post("/graphql", json={"query": "{ topics { slug } }"})

    lines = request_lines(server, before + 5)[before:]
    assert [list(line) for line in lines] == [FIELDS] * 5
    assert signed_in.headers["x-request-id"] == "demande-42"
    generated = created.headers["x-request-id"]
    assert len(generated) == 32
    assert EMAIL not in generated
    assert created.json()["data"]["createPost"]["userErrors"] == []
    assert fetched.json() == {"data": {"viewer": {"email": EMAIL}, "post": None}}
    assert wrong.json()["data"]["login"]["userErrors"][0]["code"] == "INVALID_CREDENTIALS"
    assert anonymous.json()["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
    summary = [
        (x["request_id"], x["method"], x["path"], x["status"], x["operation"], x["operation_type"],
         x["outcome"], x["error_codes"], x["user_error_codes"], x["level"], x["logger"])
        for x in lines
    ]  # fmt: skip
    assert summary == [
        ("demande-42", "POST", "/graphql", 200, "Login", "mutation", "ok", [], [],
         "info", "quartier.request"),
        (generated, "POST", "/graphql", 200, "CreatePost", "mutation", "ok", [], [],
         "info", "quartier.request"),
        (fetched.headers["x-request-id"], "GET", "/graphql", 200, "Mine", "query", "ok", [], [],
         "info", "quartier.request"),
        (wrong.headers["x-request-id"], "POST", "/graphql", 200, "Login", "mutation",
         "user_error", [], ["INVALID_CREDENTIALS"], "info", "quartier.request"),
        (anonymous.headers["x-request-id"], "POST", "/graphql", 200, None, "query", "error",
         ["UNAUTHENTICATED"], [], "info", "quartier.request"),
    ]  # fmt: skip
    assert all(isinstance(line["duration_ms"], float) for line in lines)
    # The whole output, not only the request lines: uvicorn's and ours.
    everything = server.output()
    for secret in (token, PASSWORD, "pas-le-bon", EMAIL, "lea.dubois", SECRET_TITLE, SECRET_BODY):
        assert secret not in everything, secret
    assert "viewer" not in everything


def test_probes_succeeding_stay_out_of_the_log(server):
    before = len(request_lines(server, 0))

    with httpx.Client(base_url=server.url, timeout=10) as client:
        probes = [client.get(path).status_code for path in ("/healthz", "/readyz", "/metrics")]
        missing = client.get("/nulle-part/lea.dubois@exemple.be")

    lines = request_lines(server, before + 1)[before:]
    assert probes == [200, 200, 200]
    assert [(x["path"], x["status"], x["outcome"]) for x in lines] == [("other", 404, "error")]
    assert lines[0]["request_id"] == missing.headers["x-request-id"]
    assert "lea.dubois" not in server.output()


def test_every_line_the_server_wrote_is_json(server):
    lines = [line for line in server.output().splitlines() if line.strip()]

    # `quartier serve` prints where GraphiQL is before uvicorn starts; then only JSON.
    assert lines[0].startswith("GraphiQL: http://127.0.0.1:")
    decoded = [json.loads(line) for line in lines[1:]]
    assert {"time", "level", "logger"} <= set(decoded[0])
    assert any(line.get("message", "").startswith("Uvicorn running on") for line in decoded)
