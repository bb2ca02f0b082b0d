"""Hidden content's words are kept while a moderator's decision can still be reviewed, then
purged: `retention_days` (QUARTIER_HIDDEN_RETENTION_DAYS, default 90) after the last decision
on it (the moderator's, or the one on its appeal). Content hidden automatically and still
awaiting a moderator, or under an open appeal, keeps its words. The row stays, emptied: the
moderation log and the reports point to it.

Their photos are doomed with them (the worker's photo sweep deletes the files).

Run by `quartier content purge` (and by a long-running worker, where there is one).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tortoise.functions import Max
from tortoise.timezone import now

from models.community import Comment, Post
from models.messaging import Message
from models.moderation import (
    Appeal,
    AppealStatus,
    ModerationAction,
    SubjectType,
)
from resolvers import photos

KINDS: dict[SubjectType, type[Post] | type[Comment] | type[Message]] = {
    SubjectType.POST: Post,
    SubjectType.COMMENT: Comment,
    SubjectType.MESSAGE: Message,
}


async def purge_hidden(retention_days: int, moment: datetime | None = None) -> int:
    """Purges what is due; returns how many contents lost their words."""
    limit = (moment or now()) - timedelta(days=retention_days)
    purged = 0
    for subject, model in KINDS.items():
        hidden = list(
            await model.filter(hidden_at__isnull=False)
            .exclude(body="")
            .values_list("id", flat=True)
        )
        if not hidden:
            continue
        decided = dict(
            await ModerationAction.filter(
                subject_type=subject, subject_id__in=hidden, moderator_id__isnull=False
            )
            .annotate(last=Max("created_at"))
            .group_by("subject_id")
            .values_list("subject_id", "last")
        )
        appealed = set(
            await Appeal.filter(
                status=AppealStatus.OPEN,
                action__subject_type=subject,
                action__subject_id__in=hidden,
            ).values_list("action__subject_id", flat=True)
        )
        due = [pk for pk, last in decided.items() if last <= limit and pk not in appealed]
        if not due:
            continue
        words = {"title": "", "body": ""} if model is Post else {"body": ""}
        purged += await model.filter(id__in=due, hidden_at__isnull=False).update(**words)
        # Their photos go with their words (files: the worker's sweep).
        if model is not Comment:
            await photos.doom_of("post_id" if model is Post else "message_id", due, now())
    return purged
