"""The README as a newcomer reads it: its commands use any `python3` and the installed
`.venv/bin/quartier`, its settings table lists every setting, and its `curl` lines work as
pasted against a real `quartier serve --demo`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from server.settings import Settings
from tests.processes import STARTUP_SECONDS, Process, free_port, spawn, wait_until_ready
from tests.support import ROOT

README = (ROOT / "README.md").read_text()
QUARTIER = Path(sys.executable).with_name("quartier")


def block(marker: str) -> str:
    """The ```sh block right after `<!-- marker -->`."""
    found = re.search(rf"<!-- {marker} -->\n```sh\n(.*?)\n```", README, re.S)
    assert found, marker
    return found.group(1)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Process]:
    """`quartier serve --demo` as the README runs it: the installed command, from a directory
    of its own, with no setting in the environment (the default SQLite file lands there)."""
    directory = tmp_path_factory.mktemp("demo")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QUARTIER_", "DATABASE_URL"))}
    command = [str(QUARTIER), "serve", "--demo", "--port", str(port)]
    server = spawn("quartier serve --demo", command, env, directory / "out.log",
                   f"http://127.0.0.1:{port}", cwd=directory)  # fmt: skip
    try:
        wait_until_ready(server, deadline=time.monotonic() + 2 * STARTUP_SECONDS)
        yield server
    finally:
        server.stop()


def pasted(marker: str, server: Process) -> str:
    """Runs the block in bash as pasted, only pointed at the test's port."""
    script = block(marker).replace("http://127.0.0.1:8000", server.url)
    run = subprocess.run(["bash", "-c", f"set -eo pipefail\n{script}"], capture_output=True,
                         text=True, timeout=60)  # fmt: skip
    assert run.returncode == 0, run.stderr
    return run.stdout


def test_the_two_commands_come_first_and_use_any_python3():
    run, tests = block("run-command"), block("test-command")

    assert README.index("<!-- run-command -->") < README.index("<!-- test-command -->")
    assert README.index("<!-- test-command -->") < README.index("## ")
    assert (
        run
        == "python3 -m venv .venv && .venv/bin/pip install -q -e . && .venv/bin/quartier serve --demo"
    )
    assert tests.startswith('python3 -m venv .venv && .venv/bin/pip install -q -e ".[test]" && ')
    assert "python3.11" not in README
    assert "Python 3.11 or newer" in README
    assert "Node 20, Chromium, PostgreSQL and Redis" in README


def test_commands_in_the_readme_name_the_installed_quartier():
    commands = [
        line.strip()
        for found in re.findall(r"```sh\n(.*?)\n```", README, re.S)
        for line in found.splitlines()
        if re.search(r"(?:^|[\s'/])quartier ", line)
    ]

    assert commands
    assert [c for c in commands if ".venv/bin/quartier " not in c] == []


def test_the_settings_table_lists_every_setting(monkeypatch):
    read: set[str] = set()

    class Recording(dict[str, str]):
        def get(self, key: str, default: object = None) -> object:
            read.add(key)
            return super().get(key, default)

    monkeypatch.setattr(os, "environ", Recording())
    Settings.from_env()
    monkeypatch.undo()
    table = README[README.index("Settings come from the environment:") :]
    table = table[: table.index("\n\n## ")]
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", table))

    assert read - documented == set()


def test_the_curl_sign_in_and_feed_work_as_pasted(demo):
    answer = json.loads(pasted("curl-feed", demo))

    neighbourhood = answer["data"]["viewer"]["neighbourhood"]
    assert neighbourhood["name"] == "La Louvière centre"
    titles = [edge["node"]["title"] for edge in neighbourhood["posts"]["edges"]]
    assert titles[:2] == ["Barbecue des voisins samedi prochain", "Chat tigré perdu rue Kéramis"]
    assert len(titles) == 3
    assert neighbourhood["posts"]["edges"][0]["node"]["commentCount"] == 3


def test_the_city_sees_figures_and_suppressed_counts_as_pasted(demo):
    rows = [line.rsplit(" ", 4) for line in pasted("curl-insights", demo).splitlines()]

    shown = [r for r in rows if "None" not in r[2:]]
    suppressed = [r for r in rows if "None" in r[2:]]
    print(f"demo insights over twelve ended months: {len(shown)} nonzero rows shown, "
          f"{len(suppressed)} suppressed")  # fmt: skip
    assert len(shown) >= 5
    assert len(suppressed) >= 5
    assert all(int(n) >= 5 for r in shown for n in r[2:])
    assert {r[0] for r in shown} <= {
        "La Louvière centre", "Haine-Saint-Paul", "Strépy-Bracquegnies", "Houdeng-Goegnies",
    }  # fmt: skip
