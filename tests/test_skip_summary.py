"""The test command's closing lines say what was skipped for lack of what."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.support import ROOT, skip_summary


def test_the_summary_counts_skips_by_what_they_lack():
    reasons = [
        "database roles and column grants are PostgreSQL's: set QUARTIER_TEST_POSTGRES_URL",
        "database roles and column grants are PostgreSQL's: set QUARTIER_TEST_POSTGRES_URL",
        "gateway/node_modules is missing: run `npm ci --prefix gateway`",
        "the browser test needs Chromium and playwright-core: /usr/bin/chromium is missing",
        "the browser test needs Chromium and playwright-core: node is missing",
        "node is not installed",
        "Redis at redis://127.0.0.1:6379/0 does not answer: Connection refused",
        "no shared/ checkout beside this clone",
        "something else entirely",
    ]

    assert skip_summary(reasons) == (
        "skipped: 3 for lack of Node or its packages "
        "(npm ci --prefix gateway, tests/browser, tests/clients), "
        "1 for lack of Chromium (apt-get install chromium), "
        "2 for lack of PostgreSQL (set QUARTIER_TEST_POSTGRES_URL), "
        "1 for lack of Redis, "
        "1 for lack of the shared/ contract beside the clone, "
        "1 for other reasons (pytest -rs lists them)"
    )
    assert skip_summary([]) is None


def test_a_run_without_postgresql_says_so_before_its_last_line():
    env = {k: v for k, v in os.environ.items() if k not in ("QUARTIER_TEST_POSTGRES_URL", "CI")}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_city_role.py"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip

    lines = run.stdout.strip().splitlines()
    skipped = int(lines[-1].split()[0])
    assert lines[-1].startswith(f"{skipped} skipped in ")
    assert skipped > 0
    assert (
        lines[-2] == f"skipped: {skipped} for lack of PostgreSQL (set QUARTIER_TEST_POSTGRES_URL)"
    )
