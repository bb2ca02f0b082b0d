"""Real third-party clients against a real uvicorn: every contract document, sent by the roles
that send it, through Apollo Client 4 (normalised InMemoryCache) and urql with Graphcache, each
configured as the README says (tests/clients/cache-config.mjs). Neither cache may warn, and what
each client reads back from its cache must be what the server answered.

Needs Node and `npm ci --prefix tests/clients`: skipped without them, failing in CI.
QUARTIER_CLIENT_CACHE=none runs the clients with their default caches instead (the way a
newcomer would), to count the warnings; the counts land in tests/artifacts/clients-<config>.json.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from schema.export import CLIENT_SDL_PATH, SDL_PATH
from tests import support
from tests.processes import app_env, uvicorn, wait_until_ready
from tests.support import CONTRACT, ROOT
from tests.test_contract import COVERED
from tests.test_federation import SCRIPTS, State, Step, _reads, build_state

CLIENTS_DIR = ROOT / "tests" / "clients"
ARTIFACTS = ROOT / "tests" / "artifacts"
CONFIG = os.environ.get("QUARTIER_CLIENT_CACHE", "documented")

# Who sends each folder's documents (tests/contract/README.md).
SENDERS = {
    "web": ("anonymous", "unverified", "alice", "bob", "carla"),
    "city": ("city_staff", "integration"),
    "moderation": ("moderator", "admin"),
}


def require_client_packages() -> None:
    if shutil.which("node") is None:
        support.missing_in_ci("node is not installed")
    modules = CLIENTS_DIR / "node_modules"
    wanted = ("@apollo/client", "@graphql-codegen/typescript-operations", "typescript")
    if not all((modules / package).is_dir() for package in wanted):
        support.missing_in_ci(
            "tests/clients/node_modules is missing or stale: run `npm ci --prefix tests/clients`"
        )


class Harness:
    """tests/clients/harness.mjs: one request per line, the answer on the next."""

    def __init__(self, url: str, config: str, log: Path) -> None:
        self.log = log
        with log.open("wb") as err:
            self.process = subprocess.Popen(
                ["node", "--conditions=development", "harness.mjs", url, config],
                cwd=CLIENTS_DIR,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=err,
                text=True,
                env={**os.environ, "NODE_ENV": "development"},
            )

    def send(self, message: dict[str, Any]) -> dict[str, Any]:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(json.dumps(message) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            pytest.fail(f"the client harness stopped:\n{self.log.read_text()}")
        reply = json.loads(line)
        assert "failure" not in reply, reply["failure"]
        return reply

    def finish(self) -> dict[str, list[str]]:
        warnings = self.send({"finish": True})["warnings"]
        self.process.wait(timeout=10)
        return warnings

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None:
                pipe.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[str]:
    require_client_packages()
    directory = tmp_path_factory.mktemp("clients")
    process = uvicorn(
        "quartier", "server.app:app_from_env", app_env(database_url), directory / "app.log"
    )
    try:
        wait_until_ready(process)
        yield f"{process.url}/graphql"
    finally:
        process.stop()


@pytest.fixture
def harness(server: str, tmp_path: Path) -> Iterator[Harness]:
    running = Harness(server, CONFIG, tmp_path / "harness.log")
    try:
        yield running
    finally:
        running.stop()


RELAY = "clients/relay.graphql"


def _text(document: str) -> str:
    return (ROOT / "tests" / document if document == RELAY else CONTRACT / document).read_text()


def _chat_before(_state: State, results: dict[str, Any]) -> dict[str, Any]:
    page = results["Chat"]["data"]["conversation"]["messages"]
    return {
        "id": results["Chat"]["data"]["conversation"]["id"],
        "before": page["pageInfo"]["startCursor"],
    }


def _relay(state: State) -> list[Step]:
    """What a Relay-minded client does besides the contract: its viewer as others see it,
    objects by id (a post, a comment, a person, the city's consultation), a chat's history."""
    ids = state.ids
    mixed = {"ids": [ids[n] for n in ("p1", "comment", "alice", "centre", "consultation")]}
    return [
        Step("Me", RELAY, "Me", "alice"),
        Step("Node", RELAY, "Node", "bob", {"id": ids["p1"]}),
        Step("Nodes", RELAY, "Nodes", "bob", mixed),
        Step("Nodes moderator", RELAY, "Nodes", "moderator", mixed),
        Step("Nodes city", RELAY, "Nodes", "city_staff", mixed),
        Step("Chat", RELAY, "Chat", "bob", {"id": ids["conversation"], "last": 1}),
        Step("Chat before", RELAY, "Chat", "bob", _chat_before),
    ]


def _reads_by_senders(state: State) -> list[tuple[str, str, dict[str, Any], str]]:
    """Every contract read, by each role that sends its folder's documents."""
    reads = []
    for document, operations in _reads(state).items():
        senders = SENDERS.get(document.split("/")[0])
        for operation, variables in operations if senders else ():
            reads += [(document, operation, variables, caller) for caller in senders]
    return reads


def same(cached: Any, served: Any) -> bool:
    """The client's data is the server's, but for the `__typename`s the client added to the
    document for its cache and keeps to itself."""
    if isinstance(cached, dict) and isinstance(served, dict):
        extra = set(served) - set(cached)
        return extra <= {"__typename"} and all(same(v, served.get(k)) for k, v in cached.items())
    if isinstance(cached, list) and isinstance(served, list):
        return len(cached) == len(served) and all(map(same, cached, served))
    return bool(cached == served)


class Run:
    """One client's session with the API: what it asked, and where its data differed."""

    def __init__(self, harness: Harness, client: str) -> None:
        self.harness = harness
        self.client = client
        self.differences: list[dict[str, Any]] = []

    def send(
        self, document: str, operation: str, variables: dict[str, Any], token: str | None
    ) -> dict[str, Any]:
        reply = self.harness.send(
            {
                "client": self.client,
                "token": token,
                "query": _text(document),
                "operationName": operation,
                "variables": variables,
            }
        )
        raw = reply["raw"] or {}
        codes = [(e.get("extensions") or {}).get("code") for e in raw.get("errors", [])]
        # Graphcache keeps no field that failed: a read-back of only failed fields is null.
        failed_alike = reply["data"] is None and bool(codes)
        if [e["code"] for e in reply["errors"]] != codes or not (
            failed_alike or same(reply["data"], raw.get("data"))
        ):
            self.differences.append(
                {
                    "operation": operation,
                    "variables": variables,
                    "cache": reply["data"],
                    "server": raw.get("data"),
                }
            )
        return {"status": 200, **raw}

    def story(self, state: State, steps: list[Step]) -> None:
        results: dict[str, Any] = {}
        for step in steps:
            if step.document not in {*_known_documents(), RELAY}:
                continue
            token = (
                step.caller(state, results) if callable(step.caller) else state.tokens[step.caller]
            )
            variables = (
                step.variables(state, results) if callable(step.variables) else step.variables
            )
            results[step.name] = self.send(step.document, step.operation, variables, token)


def _known_documents() -> set[str]:
    return {p.relative_to(CONTRACT).as_posix() for p in support.contract_documents()}


async def test_apollo_and_graphcache_run_every_contract_document_without_a_cache_warning(
    api, harness
):
    runs = []
    for client in ("apollo", "urql"):
        await support.truncate_all()
        state = await build_state(api)
        run = Run(harness, client)
        for document, operation, variables, caller in _reads_by_senders(state):
            run.send(document, operation, variables, state.tokens[caller])
        run.story(state, _relay(state))
        for script in sorted(SCRIPTS):
            await support.truncate_all()
            state = await build_state(api)
            run.story(state, SCRIPTS[script])
        runs.append(run)

    warnings = harness.finish()

    ARTIFACTS.mkdir(exist_ok=True)
    counts = {client: len(found) for client, found in warnings.items()}
    (ARTIFACTS / f"clients-{CONFIG}.json").write_text(
        json.dumps(
            {"config": CONFIG, "counts": counts, "warnings": warnings}, indent=2, ensure_ascii=False
        )
    )
    (ARTIFACTS / f"clients-{CONFIG}-differences.json").write_text(
        json.dumps({run.client: run.differences for run in runs}, indent=1, ensure_ascii=False)
    )
    assert {run.client: run.differences for run in runs} == {"apollo": [], "urql": []}
    assert warnings == {"apollo": [], "urql": []}


def _graphql_js(schema: Path, documents: list[Path]) -> dict[str, Any]:
    done = subprocess.run(
        ["node", "sdl.mjs", str(schema), *map(str, documents)],
        cwd=CLIENTS_DIR, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return json.loads(done.stdout)


def test_graphql_js_builds_the_client_sdl_and_validates_the_contract_against_it():
    require_client_packages()
    covered = [CONTRACT / relative for relative in sorted(COVERED)]

    outcome = _graphql_js(CLIENT_SDL_PATH, covered)

    assert outcome["built"] is True, outcome
    assert outcome["errors"] == {str(path): [] for path in covered}


def test_graphql_js_refuses_the_federation_sdl_that_the_client_sdl_stands_beside():
    require_client_packages()

    outcome = _graphql_js(SDL_PATH, [])

    assert outcome["built"] is False
    assert outcome["error"].startswith('Unknown directive "@link".')


def test_the_readme_shows_the_cache_configuration_the_clients_run_with():
    readme = (ROOT / "README.md").read_text()
    marker = "<!-- cache-config: tests/clients/cache-config.mjs -->\n```js\n"

    shown = readme[readme.index(marker) + len(marker) :].split("```", 1)[0]

    assert shown == (CLIENTS_DIR / "cache-config.mjs").read_text()


def test_graphql_code_generator_types_every_web_document_and_the_types_compile(tmp_path):
    """A React team runs GraphQL Code Generator over the web client's documents, live
    updates included (before subscriptions existed it failed with "Unable to find root schema
    type for operation type subscription"); what it generates must type-check."""
    require_client_packages()
    documents = sorted((CONTRACT / "web").glob("*.graphql"))

    done = subprocess.run(
        ["node", "codegen.mjs", str(CLIENT_SDL_PATH), str(tmp_path), *map(str, documents)],
        cwd=CLIENTS_DIR, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    outcome = json.loads(done.stdout)

    assert outcome["generated"] is True, outcome
    assert outcome["diagnostics"] == []
    assert {"NeighbourhoodFeedQuery", "CreatePostMutation", "PostAddedSubscription"} <= set(
        outcome["operations"]
    )
    assert "MessageAddedSubscription" in outcome["operations"]
