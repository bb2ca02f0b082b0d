"""Moderation: reports, the moderators' queue and decisions, the log, and appeals."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from models import moderation as models
from models.moderation import ContentType
from permissions import IsAuthenticated, IsResident, IsStaff, content, requires
from resolvers import moderation, moderation_queue, reasons, reports
from resolvers.ids import to_global_id
from schema.accounts import Resident
from schema.base import Connection, Node, UserError, attempt
from schema.community import Comment, Post
from schema.messaging import Message

strawberry.enum(models.ModerationKind, description="What a moderator decides.")
strawberry.enum(models.AppealStatus, description="Where an appeal stands.")

ReportedContent = Annotated[Post | Comment | Message, strawberry.union("ReportedContent")]
_SUBJECT_TYPES = {
    models.SubjectType.POST: "Post",
    models.SubjectType.COMMENT: "Comment",
    models.SubjectType.MESSAGE: "Message",
    # A person, as moderators meet them (authors, reporters): `accountId` takes it back.
    models.SubjectType.ACCOUNT: "Resident",
    models.SubjectType.REPORT: "Report",
}


@strawberry.type(description="A report. Only its author and moderators reach it.")
class Report(Node):
    row: strawberry.Private[models.Report]

    @classmethod
    def from_model(cls, row: models.Report) -> Report:
        return cls(row=row)

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

    @strawberry.field(
        description="Distinct residents who reported this content (same status).",
        extensions=content(IsStaff),
    )
    async def report_count(self, info: Info) -> int | None:
        return await moderation_queue.reporters_of(info.context, self.row)

    @strawberry.field(description="Who reported it.", extensions=content(IsStaff))
    async def reporter(self, info: Info) -> Resident | None:
        return Resident(row=await info.context.loaders.account.load(self.row.reporter_id))

    @strawberry.field(description="The reported content, even hidden.", extensions=content(IsStaff))
    async def content(self) -> ReportedContent | None:
        row = await moderation.load_content(
            moderation.ContentRef(self.row.content_type, self.row.content_id)
        )
        if row is None:
            return None
        wrap = {ContentType.POST: Post, ContentType.COMMENT: Comment, ContentType.MESSAGE: Message}
        return wrap[self.row.content_type](row=row)


@strawberry.type(
    description="A moderation decision, written to the log for good. Only moderators reach "
    "it (its reason reaches the person it touches through their notification)."
)
class ModerationAction(Node):
    row: strawberry.Private[models.ModerationAction]

    @classmethod
    def from_model(cls, row: models.ModerationAction) -> ModerationAction:
        return cls(row=row)

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("ModerationAction", self.row.id))

    @strawberry.field
    def kind(self) -> models.ModerationKind:
        return self.row.kind

    @strawberry.field(description="The reasons sent to the person it touches.")
    def reason(self, info: Info) -> str:
        # Moderators read the log: an old automatic entry keeps its report count.
        return reasons.shown(self.row.reason, info.context.translate, with_count=True) or ""

    @strawberry.field
    def created_at(self) -> datetime:
        return self.row.created_at

    @strawberry.field(description="The end of a suspension; null if it has no end.")
    def until(self) -> datetime | None:
        return self.row.until

    @strawberry.field(description="The content or account it is about.")
    def subject_id(self) -> strawberry.ID:
        return strawberry.ID(
            to_global_id(_SUBJECT_TYPES[self.row.subject_type], self.row.subject_id)
        )

    @strawberry.field(description="The moderator; null when the platform hid content by itself.")
    async def moderator(self, info: Info) -> Resident | None:
        if self.row.moderator_id is None:
            return None
        return Resident(row=await info.context.loaders.account.load(self.row.moderator_id))


@strawberry.type(
    description="An appeal against a decision, by the person it touches. Only they and moderators reach it."
)
class Appeal(Node):
    row: strawberry.Private[models.Appeal]

    @classmethod
    def from_model(cls, row: models.Appeal) -> Appeal:
        return cls(row=row)

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Appeal", self.row.id))

    @strawberry.field
    def message(self) -> str:
        return self.row.message

    @strawberry.field
    def status(self) -> models.AppealStatus:
        return self.row.status

    @strawberry.field
    def created_at(self) -> datetime:
        return self.row.created_at

    @strawberry.field(description="The decision appealed against.", extensions=content(IsStaff))
    async def action(self, info: Info) -> ModerationAction | None:
        row = await info.context.loaders.moderation_action.load(self.row.action_id)
        return ModerationAction(row=row) if row is not None else None


@strawberry.input
class ReportContentInput:
    content_id: strawberry.ID = strawberry.field(description="A post, a comment or a message.")
    reason: models.ReportReason
    note: str | None = None


@strawberry.input
class ModerateInput:
    kind: models.ModerationKind
    reason: str = strawberry.field(description="At least 5 characters; the author receives it.")
    report_ids: list[strawberry.ID] | None = None
    content_ids: list[strawberry.ID] | None = None
    account_id: strawberry.ID | None = None
    until: datetime | None = strawberry.field(
        default=None, description="The end of a suspension; absent: no end."
    )


@strawberry.input
class AppealModerationInput:
    action_id: strawberry.ID
    message: str


@strawberry.input
class DecideAppealInput:
    appeal_id: strawberry.ID
    accept: bool = strawberry.field(
        description="True: the decision is undone (content restored, suspension lifted)."
    )
    reason: str


@strawberry.type
class ReportContentPayload:
    report: Report | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ModeratePayload:
    actions: list[ModerationAction] = strawberry.field(default_factory=list)
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class AppealPayload:
    appeal: Appeal | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ModerationQuery:
    @strawberry.field(
        description="Reported content, one entry per content, the worst first: hidden and "
        "pending, then the most reported, then the oldest.",
        extensions=requires(IsStaff),
    )
    async def reports(
        self,
        info: Info,
        status: models.ReportStatus = models.ReportStatus.OPEN,
        first: int | None = 50,
        after: str | None = None,
    ) -> Connection[Report]:
        page = await moderation_queue.report_queue(info.context, status, first, after)
        return Connection.of(page, Report.from_model)

    @strawberry.field(
        description="The moderation log, the most recent first.",
        extensions=requires(IsStaff),
    )
    async def moderation_log(
        self, first: int | None = 50, after: str | None = None
    ) -> Connection[ModerationAction]:
        return Connection.of(
            await moderation.moderation_log(first, after), ModerationAction.from_model
        )

    @strawberry.field(
        description="Appeals, the oldest first.",
        extensions=requires(IsStaff),
    )
    async def appeals(
        self,
        status: models.AppealStatus = models.AppealStatus.OPEN,
        first: int | None = 50,
        after: str | None = None,
    ) -> Connection[Appeal]:
        return Connection.of(
            await moderation_queue.appeals(status, first, after), Appeal.from_model
        )


@strawberry.type
class ModerationMutation:
    @strawberry.mutation(
        description="Report content the account can see; a content counts once per resident.",
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

    @strawberry.mutation(
        description="Decide, for one or more contents or reports, or for an account: all or "
        "nothing.",
        extensions=requires(IsStaff),
    )
    async def moderate(self, info: Info, input: ModerateInput) -> ModeratePayload:
        action = moderation.moderate(
            info.context,
            kind=input.kind,
            reason=input.reason,
            report_ids=input.report_ids,
            content_ids=input.content_ids,
            account_id=input.account_id,
            until=input.until,
        )
        return await attempt(
            action,
            lambda rows: ModeratePayload(actions=[ModerationAction(row=r) for r in rows]),
            lambda errors: ModeratePayload(user_errors=errors),
        )

    @strawberry.mutation(
        description="Appeal against a decision that touches you, once per decision.",
        extensions=requires(IsAuthenticated),
    )
    async def appeal_moderation(self, info: Info, input: AppealModerationInput) -> AppealPayload:
        return await attempt(
            moderation_queue.appeal(info.context, action_id=input.action_id, message=input.message),
            lambda row: AppealPayload(appeal=Appeal(row=row)),
            lambda errors: AppealPayload(user_errors=errors),
        )

    @strawberry.mutation(
        description="Decide an appeal; the outcome joins the log.",
        extensions=requires(IsStaff),
    )
    async def decide_appeal(self, info: Info, input: DecideAppealInput) -> ModeratePayload:
        action = moderation_queue.decide_appeal(
            info.context, appeal_id=input.appeal_id, accept=input.accept, reason=input.reason
        )
        return await attempt(
            action,
            lambda row: ModeratePayload(actions=[ModerationAction(row=row)]),
            lambda errors: ModeratePayload(user_errors=errors),
        )
