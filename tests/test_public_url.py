"""Without QUARTIER_PUBLIC_URL, the e-mails' links lead to the server `quartier serve` runs,
on the port it was given, not to a default port nobody serves."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from server.cli import served_url
from tests import support
from tests.processes import STARTUP_SECONDS, Process, app_env, free_port, spawn, wait_until_ready
from tests.smtp import SmtpServer, text_part

REGISTER = (
    """mutation($input: RegisterInput!) { register(input: $input) { userErrors { code } } }"""
)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@pytest.fixture
def serve(tmp_path, database_url: str, smtp: SmtpServer) -> Iterator[Process]:
    port = free_port()
    command = [sys.executable, "-m", "server.cli", "serve", "--port", str(port), "--with-worker"]
    env = app_env(database_url, QUARTIER_SMTP_URL=smtp.url, QUARTIER_MAIL_POLL_MS="50")
    process = spawn("quartier serve", command, env, tmp_path / "out.log", served_url("", port))
    try:
        wait_until_ready(process, deadline=time.monotonic() + STARTUP_SECONDS)
        yield process
    finally:
        process.stop()


def test_a_wildcard_address_links_to_the_loopback_one():
    assert served_url("0.0.0.0", 8080) == "http://127.0.0.1:8080"
    assert served_url("::", 8080) == "http://[::1]:8080"
    assert served_url("quartier.example.be", 80) == "http://quartier.example.be:80"


async def test_the_confirmation_link_names_the_port_serve_was_given(world, smtp, serve):
    variables = {
        "input": {
            "email": "nadia.elamrani@example.be",
            "password": "un mot de passe solide 2026",
            "displayName": "Nadia",
            "streetId": support.gid("Street", world.centre_street.id),
            "houseNumber": "12",
        }
    }
    async with httpx.AsyncClient(base_url=serve.url, timeout=10) as client:
        answer = await client.post("/graphql", json={"query": REGISTER, "variables": variables})
    assert answer.json()["data"]["register"]["userErrors"] == []

    [message] = smtp.sink.wait_for(lambda got: len(got) == 1)
    [link] = [w for w in text_part(message).split() if "token=" in w]
    assert link.startswith(f"{serve.url}/account/confirm-email?token=")
    assert serve.url != "http://127.0.0.1:8000"
