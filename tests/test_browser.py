"""A moderator in the real GraphiQL: Debian's Chromium, driven by playwright-core
(tests/browser/graphiql.mjs), against a real uvicorn in production mode on loopback.

Needs /usr/bin/chromium and `npm ci --prefix tests/browser` (.ci/run installs both). Without
them the test is skipped on a developer's machine and fails in CI (CI set)."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from tortoise.timezone import now

from models.accounts import Account, AuthToken, Role
from models.community import Post, PostKind
from models.moderation import ContentType, ModerationAction, ModerationKind, Report, ReportReason
from resolvers import tokens
from resolvers.passwords import hash_password
from tests import support
from tests.processes import Process, app_env, uvicorn, wait_until_ready
from tests.support import ROOT, gid

CHROMIUM = Path("/usr/bin/chromium")
BROWSER = ROOT / "tests" / "browser"
ARTIFACTS = ROOT / "tests" / "artifacts"
BROWSER_SECONDS = 90
PASSWORD = "moderation-navigateur-2026"


def _missing() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    if shutil.which("node") is None:
        return "node is missing"
    if not (BROWSER / "node_modules" / "playwright-core").is_dir():
        return "tests/browser/node_modules is missing (npm ci --prefix tests/browser)"
    return None


@pytest.fixture(scope="module")
def browser_ready() -> None:
    missing = _missing()
    if missing and os.environ.get("CI"):
        pytest.fail(f"the browser test cannot run in CI: {missing}")
    if missing:
        pytest.skip(f"the browser test needs Chromium and playwright-core: {missing}")


@pytest.fixture
def production_server(browser_ready: None, database_url: str, tmp_path: Path) -> Iterator[Process]:
    env = app_env(
        database_url,
        QUARTIER_ENV="production",
        QUARTIER_CORS_ORIGINS="https://quartier.lalouviere.be",
    )
    server = uvicorn("uvicorn", "server.app:app_from_env", env, tmp_path / "uvicorn.log")
    try:
        wait_until_ready(server)
        yield server
    finally:
        server.stop()


@dataclass
class Seeded:
    post: Post
    moderator_email: str
    resident: Account
    resident_token: str
    neighbourhood_id: int


async def seed() -> Seeded:
    """A resident's post reported by a neighbour, and a moderator who signs in by password."""
    city = await support.make_city()
    neighbourhood = await support.make_neighbourhood(city, "Haine-Saint-Paul")
    street = await support.make_street(neighbourhood, "Rue de la Déportation")
    author, author_token = await support.make_resident(street, "Léa Dubois")
    author.password_hash = await hash_password(PASSWORD)
    await author.save(update_fields=["password_hash"])
    reporter, _ = await support.make_resident(street, "Marc Lejeune")
    post = await Post.create(
        neighbourhood=neighbourhood,
        author=author,
        kind=PostKind.DISCUSSION,
        title="Promo -50 % sur les montres",
        body="Cliquez vite sur mon lien, offre limitée !",
        created_at=now(),
    )
    await Report.create(
        reporter=reporter,
        content_type=ContentType.POST,
        content_id=post.id,
        reason=ReportReason.SPAM,
        note="Publicité.",
        created_at=now(),
    )
    moderator, _ = await support.make_staff(Role.MODERATOR, "Mona Modération")
    moderator.password_hash = await hash_password(PASSWORD)
    await moderator.save(update_fields=["password_hash"])
    assert moderator.email is not None
    return Seeded(post, moderator.email, author, author_token, neighbourhood.id)


async def test_a_moderator_hides_a_reported_post_in_graphiql(production_server):
    seeded = await seed()
    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / "graphiql.png"
    screenshot.unlink(missing_ok=True)
    env = os.environ | {
        "QUARTIER_URL": production_server.url,
        "QUARTIER_MODERATOR_EMAIL": seeded.moderator_email,
        "QUARTIER_MODERATOR_PASSWORD": PASSWORD,
        "QUARTIER_RESIDENT_EMAIL": seeded.resident.email,
        "QUARTIER_RESIDENT_PASSWORD": PASSWORD,
        "QUARTIER_POST_ID": gid("Post", seeded.post.id),
        "QUARTIER_SCREENSHOT": str(screenshot),
        "QUARTIER_NEIGHBOURHOOD_ID": gid("Neighbourhood", seeded.neighbourhood_id),
        "QUARTIER_RESIDENT_TOKEN": seeded.resident_token,
    }

    started = time.monotonic()
    run = await asyncio.to_thread(
        subprocess.run,
        ["node", str(BROWSER / "graphiql.mjs")],
        cwd=BROWSER,
        env=env,
        capture_output=True,
        text=True,
        timeout=BROWSER_SECONDS,
    )
    seconds = time.monotonic() - started

    output = f"{run.stdout}\n{run.stderr}\nuvicorn:\n{production_server.log.read_text()}"
    assert run.returncode == 0, output
    print(f"browser test: {seconds:.1f} s; screenshot kept at {screenshot}\n{run.stdout}")
    assert screenshot.stat().st_size > 10_000
    # The page ended the token it signed the resident in with (the server refused it a
    # session and kept it); the resident's own token was never touched.
    made_by_page = await AuthToken.filter(account=seeded.resident).exclude(
        token_hash=tokens.hash_token(seeded.resident_token)
    )
    assert len(made_by_page) == 1
    assert made_by_page[0].revoked_at is not None
    assert await tokens.authenticate(seeded.resident_token) is not None
    post = await Post.get(id=seeded.post.id)
    assert post.hidden_at is not None
    assert post.hidden_reason == "Annonce commerciale hors sujet (test navigateur)."
    actions = await ModerationAction.filter(kind=ModerationKind.HIDE_CONTENT).values(
        "subject_id", "moderator__display_name", "reason"
    )
    assert actions == [
        {
            "subject_id": seeded.post.id,
            "moderator__display_name": "Mona Modération",
            "reason": "Annonce commerciale hors sujet (test navigateur).",
        }
    ]
