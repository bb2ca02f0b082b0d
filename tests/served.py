"""A real uvicorn serving the app on the test database, and a client that speaks to it the way
the web client does: GraphQL with a bearer token, photo uploads, plain GETs."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.processes import Process, app_env, uvicorn, wait_until_ready


@dataclass
class Served:
    process: Process
    media_dir: Path
    # The secret the server signs photo URLs with, so tests can forge expired ones.
    url_secret: str

    @property
    def url(self) -> str:
        return self.process.url


@contextmanager
def served_app(
    tmp_path_factory: pytest.TempPathFactory, database_url: str, **settings: str
) -> Iterator[Served]:
    directory = tmp_path_factory.mktemp("served")
    media_dir = directory / "media"
    secret = secrets.token_urlsafe(32)
    env = app_env(
        database_url,
        QUARTIER_MEDIA_DIR=str(media_dir),
        QUARTIER_MEDIA_URL_SECRET=secret,
        **settings,
    )
    server = uvicorn("app", "server.app:app_from_env", env, directory / "app.log")
    try:
        wait_until_ready(server)
        yield Served(server, media_dir, secret)
    finally:
        server.stop()


def server_fixture() -> Any:
    """A module's server: `server = server_fixture()` in a test module."""

    @pytest.fixture(scope="module")
    def server(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[Served]:
        with served_app(tmp_path_factory, database_url) as served:
            yield served

    return server


def client_fixture() -> Any:
    """A client of the module's server: `client = client_fixture()`."""

    @pytest.fixture
    async def client(server: Served) -> AsyncIterator[Client]:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            yield Client(http)

    return client


class Client:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def gql(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=auth(token)
        )
        # 400: a request error (bad variables), answered with errors and no data.
        assert response.status_code in (200, 400), response.text
        return response.json()

    async def upload(
        self, data: bytes, token: str | None, content_type: str = "application/octet-stream"
    ) -> httpx.Response:
        return await self.http.post(
            "/media", content=data, headers={**auth(token), "Content-Type": content_type}
        )

    async def photo(self, data: bytes, token: str) -> str:
        """Uploads an image that must be accepted; its id."""
        response = await self.upload(data, token)
        assert response.status_code == 201, response.text
        return response.json()["id"]


def auth(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def problem(response: httpx.Response) -> tuple[int, str]:
    """The status and error code of an HTTP error answer, which has GraphQL's error shape."""
    return response.status_code, response.json()["errors"][0]["extensions"]["code"]
