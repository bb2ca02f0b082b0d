"""The long-running worker (`quartier worker`) does the privacy chores beside the e-mails:
hidden content's words go once its retention is over, ended days of topicInsights freeze."""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import timedelta

from tortoise.timezone import now

from models.community import Post, PostKind
from models.geography import Neighbourhood
from models.moderation import ModerationAction, ModerationKind, SubjectType
from tests.processes import app_env, spawn

DEADLINE_SECONDS = 30


async def test_the_worker_purges_hidden_words_and_freezes_ended_days(database_url, world, tmp_path):
    decided = now() - timedelta(days=91)
    post = await Post.create(
        neighbourhood=world.centre,
        author=world.alice,
        kind=PostKind.DISCUSSION,
        title="Okapi",
        body="Tapir",
        created_at=decided,
        hidden_at=decided,
        hidden_reason="Hors sujet.",
    )
    await ModerationAction.create(
        moderator=world.bob,
        kind=ModerationKind.HIDE_CONTENT,
        subject_type=SubjectType.POST,
        subject_id=post.id,
        affected_account=world.alice,
        reason="Hors sujet.",
        created_at=decided,
    )
    env = app_env(database_url, QUARTIER_MAIL_DIR=str(tmp_path / "mail"))
    command = [sys.executable, "-m", "server.cli", "worker"]
    worker = spawn("worker", command, env, tmp_path / "worker.log", "")
    try:
        deadline = time.monotonic() + DEADLINE_SECONDS
        row = await Post.get(id=post.id)
        while row.body and time.monotonic() < deadline:
            assert worker.process.poll() is None, worker.output()
            await asyncio.sleep(0.1)
            row = await Post.get(id=post.id)
    finally:
        worker.stop()

    assert (row.title, row.body, row.hidden_reason) == ("", "", "Hors sujet.")
    centre = await Neighbourhood.get(id=world.centre.id)
    assert centre.insights_frozen_until is not None
