"""What one request may cost, measured against a real uvicorn: fragments spread
exponentially, nested lists, `_entities`, and bodies too large to read."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from graphql import OperationDefinitionNode, parse

from schema import limits
from schema.limits import MAX_COST, Meter, measure
from schema.schemas import build_schema
from tests.processes import Process, served
from tests.support import contract_documents, gid

GRAPHQL_RESPONSE = "application/graphql-response+json"
MIB = 1024 * 1024


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[Process]:
    with served(tmp_path_factory.mktemp("limits"), database_url) as process:
        yield process


@pytest.fixture
def client(server: Process) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


def _bomb(levels: int, leaf: str = "__typename") -> str:
    """F0 selects `leaf`; each next fragment spreads the previous one ten times."""
    fragments = [f"fragment F0 on Query {{ {leaf} }}"]
    for level in range(1, levels + 1):
        spreads = " ".join([f"...F{level - 1}"] * 10)
        fragments.append(f"fragment F{level} on Query {{ {spreads} }}")
    return f"query {{ ...F{levels} }}\n" + "\n".join(fragments)


def test_a_fragment_bomb_is_validated_in_milliseconds(client):
    document = _bomb(8)  # 10^8 spreads in under 1 KB; Strawberry's limiters walked each
    assert len(document) < 1024

    started = time.perf_counter()
    response = client.post("/graphql", json={"query": document})
    elapsed = time.perf_counter() - started

    assert response.json() == {"data": {"__typename": "Query"}}
    assert elapsed < 1.0


def test_aliases_spread_by_fragments_are_counted_without_walking_them(client):
    started = time.perf_counter()
    response = client.post("/graphql", json={"query": _bomb(6, leaf="a: __typename")})
    elapsed = time.perf_counter() - started

    assert response.json() == {
        "errors": [
            {
                "message": "1000000 aliases found. Allowed: 30",
                "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"},
            }
        ]
    }
    assert elapsed < 1.0


NESTED_FEED = """query Nested($id: ID!) {
  neighbourhood(id: $id) { posts(first: 100) { edges { node {
    neighbourhood { posts(first: 100) { edges { node {
      neighbourhood { posts(first: 100) { edges { node { id } } } }
    } } } }
  } } } }
}"""


@pytest.mark.parametrize(("accept", "status"), [("application/json", 200), (GRAPHQL_RESPONSE, 400)])
def test_a_query_over_the_cost_limit_is_refused_with_its_cost(client, world, accept, status):
    response = client.post(
        "/graphql",
        json={"query": NESTED_FEED, "variables": {"id": gid("Neighbourhood", world.centre.id)}},
        headers={"Authorization": f"Bearer {world.alice_token}", "Accept": accept},
    )

    assert response.status_code == status
    assert response.json() == {
        "errors": [
            {
                "message": "'Nested' coûterait 2040402 (limite : 10000) : demandez moins "
                "d'éléments (`first`) ou moins de niveaux.",
                "locations": [{"line": 1, "column": 1}],
                "extensions": {"code": "QUERY_TOO_COMPLEX", "cost": 2040402, "limit": 10000},
            }
        ]
    }


def test_the_cost_follows_first_given_in_variables(client, world):
    document = NESTED_FEED.replace("first: 100", "first: $n").replace(
        "$id: ID!", "$id: ID!, $n: Int"
    )
    variables = {"id": gid("Neighbourhood", world.centre.id)}
    headers = {"Authorization": f"Bearer {world.alice_token}"}

    small = client.post(
        "/graphql", json={"query": document, "variables": variables | {"n": 2}}, headers=headers
    )
    large = client.post(
        "/graphql", json={"query": document, "variables": variables | {"n": 30}}, headers=headers
    )

    assert small.json() == {"data": {"neighbourhood": {"posts": {"edges": []}}}}
    assert large.json()["errors"][0]["extensions"] == {
        "code": "QUERY_TOO_COMPLEX",
        "cost": 57722,
        "limit": 10000,
    }


def _costs() -> dict[str, tuple[int, int]]:
    """Each contract operation's cost with its defaults, and with `first: 100`."""
    schema = build_schema(production=False)._schema
    costs = {}
    for path in contract_documents():
        document = parse(path.read_text())
        for operation in document.definitions:
            assert isinstance(operation, OperationDefinitionNode)
            assert operation.name
            names = {d.variable.name.value for d in operation.variable_definitions or ()}
            widest = {"first": 100} if "first" in names else {}
            costs[f"{path.parent.name}/{path.name} {operation.name.value}"] = (
                Meter(schema, document, {}).operation(operation).cost,
                Meter(schema, document, widest).operation(operation).cost,
            )
    return costs


def test_every_contract_operation_costs_a_fifth_of_the_limit_at_most():
    costs = _costs()
    widest = max(costs.items(), key=lambda item: item[1][1])

    # The README gives these figures.
    assert (MAX_COST, widest) == (10000, ("city/insights.graphql CityPostMetadata", (953, 1903)))
    assert max(cost for cost, _ in costs.values()) == 953
    assert max(cost for _, cost in costs.values()) <= MAX_COST // 5
    assert costs["web/feed.graphql NeighbourhoodFeed"] == (163, 803)


# Every kind of value a sizing variable may have: the measure reads ints and list lengths.
SIZES = [None, 0, 1, 20, 100, 1000, -3, True, False, 2.5, "20", [], [1, 2, 3]]


def test_a_kept_measure_is_the_walk_with_the_same_sizes():
    schema = build_schema(production=False)._schema
    entities = parse(
        "query($r: [_Any!]!, $first: Int) { ...T _entities(representations: $r) { __typename } }"
        " fragment T on Query { topics { slug } neighbourhood(id: 1) {"
        " posts(first: $first) { edges { node { id } } } } }"
    )
    documents = [parse(path.read_text()) for path in contract_documents()] + [entities]
    for document in documents:
        for operation in document.definitions:
            if not isinstance(operation, OperationDefinitionNode):
                continue
            for size in SIZES:
                variables = {"first": size, "r": size, "id": "x"}
                walked = Meter(schema, document, variables).operation(operation)

                kept = [measure(schema, document, operation, variables) for _ in range(2)]

                assert kept == [walked, walked]
            assert measure(schema, document, operation, None) == Meter(
                schema, document, None
            ).operation(operation)


def _representations(count: int) -> list[dict[str, str]]:
    return [{"__typename": "Topic", "slug": f"theme-{i}"} for i in range(count)]


def test_entities_take_a_hundred_representations_at_most(client, world):
    query = "query($r: [_Any!]!) { _entities(representations: $r) { __typename } }"

    hundred = client.post(
        "/graphql", json={"query": query, "variables": {"r": _representations(100)}}
    )
    thousand = client.post(
        "/graphql", json={"query": query, "variables": {"r": _representations(1000)}}
    )

    assert hundred.json() == {"data": {"_entities": [None] * 100}}
    assert thousand.json()["data"] is None
    assert thousand.json()["errors"][0]["message"] == "100 représentations au plus par requête."
    assert thousand.json()["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT"}


@pytest.mark.parametrize(
    "representation",
    ["Topic", 42, [], {"slug": "theme"}, {"__typename": 7}, {"__typename": "Nope"}],
)
def test_a_representation_that_is_not_an_entity_is_bad_user_input(client, world, representation):
    query = "query($r: [_Any!]!) { _entities(representations: $r) { __typename } }"

    response = client.post("/graphql", json={"query": query, "variables": {"r": [representation]}})

    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT"}
    assert body["errors"][0]["message"].startswith("Représentation 1 :")


# --- the body limit ------------------------------------------------------------------


def _connect(server: Process) -> socket.socket:
    host, port = server.url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=10)


def _response(sock: socket.socket) -> bytes:
    chunks = []
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


REFUSED_BODY = (
    b'{"errors":[{"message":"Le corps de la requ\xc3\xaate d\xc3\xa9passe 1048576 octets.",'
    b'"extensions":{"code":"PAYLOAD_TOO_LARGE"}}]}'
)


def test_a_body_declared_over_the_limit_is_refused_before_it_is_sent(server):
    with _connect(server) as sock:
        sock.sendall(
            b"POST /graphql HTTP/1.1\r\nHost: quartier\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {8 * MIB}\r\n\r\n".encode()
        )
        answer = _response(sock)

    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413 ")
    assert b"content-type: application/json" in head.lower()
    assert body == REFUSED_BODY


def _send_chunks(server: Process, total: int) -> tuple[bytes, int]:
    """Streams a chunked body of `total` bytes until the server answers; returns the
    answer and how many bytes went out."""
    chunk = b"x" * 65536
    sent = 0
    with _connect(server) as sock:
        sock.sendall(
            b"POST /graphql HTTP/1.1\r\nHost: quartier\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        try:
            while sent < total:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
            sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        return _response(sock), sent


def test_the_refusal_speaks_the_language_the_client_accepts(server):
    with _connect(server) as sock:
        sock.sendall(
            b"POST /graphql HTTP/1.1\r\nHost: quartier\r\nContent-Type: application/json\r\n"
            + b"Accept-Language: nl-BE, nl;q=0.9\r\n"
            + f"Content-Length: {8 * MIB}\r\n\r\n".encode()
        )
        answer = _response(sock)

    assert answer.partition(b"\r\n\r\n")[2] == (
        b'{"errors":[{"message":"De inhoud van het verzoek is groter dan 1048576 bytes.",'
        b'"extensions":{"code":"PAYLOAD_TOO_LARGE"}}]}'
    )


def test_a_chunked_body_is_refused_once_it_passes_the_limit(server):
    answer, sent = _send_chunks(server, 32 * MIB)

    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413 ")
    # The server stopped reading: the rest was never sent (socket buffers hold a few MiB).
    assert sent < 32 * MIB
    assert body == REFUSED_BODY


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_ten_large_bodies_at_once_leave_the_memory_as_it_was(server):
    before = _rss_kib(server.process.pid)
    answers: list[bytes] = []
    threads = [
        threading.Thread(target=lambda: answers.append(_send_chunks(server, 8 * MIB)[0]))
        for _ in range(10)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [a.split(b" ", 2)[1] for a in answers] == [b"413"] * 10
    # Reading them whole took the process from 94 to 244 MB.
    assert _rss_kib(server.process.pid) - before < 20 * 1024


def test_an_operation_keeps_the_measures_of_its_latest_sizes_only():
    document = parse("query Q($first: Int) { topics { slug } }")
    operation = document.definitions[0]
    sized = limits.Sized(document, operation)  # type: ignore[arg-type]
    for first in range(limits.MEASURED_SIZES + 2):
        sized.keep((("int", first),), limits.Measure(cost=first))

    assert len(sized.measures) == limits.MEASURED_SIZES
    assert (("int", 0),) not in sized.measures
    assert (("int", 1),) not in sized.measures
    assert sized.measures[(("int", limits.MEASURED_SIZES + 1),)].cost == limits.MEASURED_SIZES + 1
