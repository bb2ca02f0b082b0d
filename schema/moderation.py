"""Reports by residents. The moderators' queue and actions come with the moderation work."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from models import moderation as models
from permissions import IsResident, requires
from resolvers import reports
from resolvers.ids import to_global_id
from schema.base import UserError, attempt


@strawberry.type(description="Un signalement. Visible de son auteur et des modérateurs.")
class Report:
    row: strawberry.Private[models.Report]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Report", self.row.id))

    @strawberry.field
    def reason(self) -> models.ReportReason:
        return self.row.reason

    @strawberry.field
    def note(self) -> str | None:
        return self.row.note

    @strawberry.field
    def status(self) -> models.ReportStatus:
        return self.row.status

    @strawberry.field
    def created_at(self) -> datetime:
        return self.row.created_at


@strawberry.input
class ReportContentInput:
    content_id: strawberry.ID = strawberry.field(
        description="Une publication, un commentaire ou un message."
    )
    reason: models.ReportReason
    note: str | None = None


@strawberry.type
class ReportContentPayload:
    report: Report | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ModerationMutation:
    @strawberry.mutation(
        description="Signaler un contenu visible du compte ; un contenu ne compte qu'une fois par habitant.",
        extensions=requires(IsResident),
    )
    async def report_content(self, info: Info, input: ReportContentInput) -> ReportContentPayload:
        action = reports.report_content(
            info.context, content_id=input.content_id, reason=input.reason, note=input.note
        )
        return await attempt(
            action,
            lambda row: ReportContentPayload(report=Report(row=row)),
            lambda errors: ReportContentPayload(user_errors=errors),
        )
