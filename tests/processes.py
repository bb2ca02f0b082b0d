"""Real servers for the tests that need them: uvicorn processes and the gateway, on free
loopback ports, stopped whatever happens."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support import ROOT

STARTUP_SECONDS = 30


@dataclass
class Process:
    name: str
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def app_env(database_url: str, **settings: str) -> dict[str, str]:
    """The environment for an app process; the developer's own QUARTIER_* settings would
    change what the server answers, so they are dropped."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUARTIER_")}
    env.update(DATABASE_URL=database_url, QUARTIER_ENV="development")
    env.update(settings)
    return env


def spawn(
    name: str, command: list[str], env: dict[str, str], log: Path, url: str, cwd: Path = ROOT
) -> Process:
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=out
        )
    return Process(name, process, url, log)


def uvicorn(
    name: str,
    factory: str,
    env: dict[str, str],
    log: Path,
    extra: Sequence[str] = (),
    *,
    workers: int = 1,
    port: int | None = None,
) -> Process:
    """`factory` is an app factory such as "server.app:app_from_env"; `extra`, more of
    uvicorn's options. uvicorn's own X-Forwarded-For handling is off, as `quartier serve`
    runs it (server/client_address.py decides)."""
    port = port or free_port()
    command = [sys.executable, "-m", "uvicorn", factory, "--factory", "--no-proxy-headers"]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    if workers > 1:
        command += ["--workers", str(workers)]
    command += [*extra, "--no-access-log"]
    return spawn(name, command, env, log, f"http://127.0.0.1:{port}")


@contextmanager
def serve_workers(
    log: Path, database_url: str, workers: int = 2, **settings: str
) -> Iterator[Process]:
    """`quartier serve --workers N`, as an operator runs it, once every worker has started."""
    port = free_port()
    command = [str(Path(sys.executable).parent / "quartier"), "serve", "--port", str(port)]
    server = spawn(
        "quartier serve",
        [*command, "--workers", str(workers)],
        app_env(database_url, **settings),
        log,
        f"http://127.0.0.1:{port}",
    )
    try:
        wait_until_ready(server)
        wait_for_workers(server, workers)
        yield server
    finally:
        server.stop()


def wait_for_workers(server: Process, workers: int, deadline: float | None = None) -> None:
    """Until every worker of `uvicorn --workers N` has started its app."""
    deadline = deadline if deadline is not None else time.monotonic() + STARTUP_SECONDS
    while server.output().count("Application startup complete") < workers:
        if time.monotonic() > deadline or server.process.poll() is not None:
            pytest.fail(f"{server.name}: {workers} workers did not start:\n{server.output()}")
        time.sleep(0.05)


def wait_until_ready(
    server: Process, path: str = "/healthz", deadline: float | None = None
) -> None:
    deadline = deadline if deadline is not None else time.monotonic() + STARTUP_SECONDS
    with httpx.Client(base_url=server.url, timeout=1) as client:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                pytest.fail(
                    f"{server.name} exited with {server.process.returncode}:\n{server.output()}"
                )
            try:
                if client.get(path).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
    pytest.fail(f"{server.name} did not answer {path} in {STARTUP_SECONDS} s:\n{server.output()}")


@contextmanager
def served(
    directory: Path,
    database_url: str,
    *,
    name: str = "app",
    workers: int = 1,
    **settings: str,
) -> Iterator[Process]:
    """The monolith under uvicorn on `database_url`, with QUARTIER_* `settings`, until the
    block ends."""
    arguments = ["--workers", str(workers)] if workers > 1 else []
    env = app_env(database_url, **settings)
    server = uvicorn(name, "server.app:app_from_env", env, directory / f"{name}.log", arguments)
    try:
        wait_until_ready(server)
        if workers > 1:
            wait_for_workers(server, workers)
        yield server
    finally:
        server.stop()
