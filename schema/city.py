"""The city's side: announcements, consultations and the notifications they send."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from models import city as models
from models import geography as geography_models
from permissions import (
    CanReadCityAggregates,
    IsAuthenticated,
    IsCityStaff,
    IsResident,
    content,
    requires,
)
from permissions.classes import CanSeeConsultationResults
from resolvers import (
    announcements,
    consultations,
    moderation,
    notifications,
    reasons,
    references,
)
from resolvers.consultations import Figure
from resolvers.ids import to_global_id
from resolvers.validation import Checks
from schema.accounts import Account
from schema.base import Connection, Node, UserError, attempt, contribute
from schema.geography import City, Neighbourhood, Street

strawberry.enum(models.AnnouncementKind, description="What kind of announcement the city sends.")
strawberry.enum(models.TargetScope, description="Whom an announcement is for.")
strawberry.enum(models.NotificationKind, description="What kind of notification it is.")


@strawberry.type(description="Whom an announcement is sent to.")
class AnnouncementTarget:
    row: strawberry.Private[models.Announcement]

    @strawberry.field
    def scope(self) -> models.TargetScope:
        return self.row.scope

    @strawberry.field
    async def neighbourhoods(self, info: Info) -> list[Neighbourhood]:
        rows = await info.context.loaders.target_neighbourhoods.load(self.row.id)
        return [Neighbourhood(row=r) for r in rows]

    @strawberry.field
    async def streets(self, info: Info) -> list[Street]:
        return [Street(row=r) for r in await info.context.loaders.target_streets.load(self.row.id)]


@strawberry.federation.type(keys=["id"], description="One possible answer to a consultation.")
class ConsultationOption(Node):
    row: strawberry.Private[models.ConsultationOption]

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> ConsultationOption | None:
        row = await references.entity(info.context, "ConsultationOption", id)
        return cls(row=row) if row else None

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("ConsultationOption", self.row.id))

    @strawberry.field
    def label(self) -> str:
        return self.row.label


@strawberry.type(
    description="The number of answers for an option; null (suppressed) when too small."
)
class ConsultationResult:
    option: ConsultationOption
    count: int | None
    suppressed: bool


@strawberry.type(description="The number of answers of one neighbourhood for an option.")
class NeighbourhoodConsultationResult:
    neighbourhood: Neighbourhood
    option: ConsultationOption
    count: int | None
    suppressed: bool


@strawberry.federation.type(
    keys=["id"], description="A question put to the residents an announcement targets."
)
class Consultation(Node):
    row: strawberry.Private[models.Consultation]

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Consultation | None:
        row = await references.entity(info.context, "Consultation", id)
        return cls(row=row) if row else None

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Consultation", self.row.id))

    @strawberry.field
    def question(self) -> str:
        return self.row.question

    @strawberry.field(description="After this date, answers no longer change.")
    def closes_at(self) -> datetime | None:
        return self.row.closes_at

    @strawberry.field
    def is_closed(self) -> bool:
        return consultations.is_closed(self.row)

    @strawberry.field
    async def options(self, info: Info) -> list[ConsultationOption]:
        rows = await info.context.loaders.consultation_options.load(self.row.id)
        return [ConsultationOption(row=r) for r in rows]

    @strawberry.field(description="The signed-in resident's answer, if they answered.")
    async def viewer_answer(self, info: Info) -> ConsultationOption | None:
        chosen = await info.context.loaders.consultation_answer.load(self.row.id)
        options = await info.context.loaders.consultation_options.load(self.row.id)
        return next((ConsultationOption(row=o) for o in options if o.id == chosen), None)

    @strawberry.field(
        description="The number of answers; null when too small.",
        extensions=content(CanSeeConsultationResults),
    )
    async def response_count(self, info: Info) -> int | None:
        return (await consultations.results(info.context, self.row)).response_count.value

    @strawberry.field(
        description="Answers per option, small counts suppressed.",
        extensions=content(CanSeeConsultationResults),
    )
    async def results(self, info: Info) -> list[ConsultationResult]:
        computed = await consultations.results(info.context, self.row)
        options = await info.context.loaders.consultation_options.load(self.row.id)
        return [_result(ConsultationOption(row=o), computed.by_option[o.id]) for o in options]

    @strawberry.field(
        description="Answers per neighbourhood and option, small counts suppressed. The "
        "city's roles get an empty list while the consultation is open; moderators do not.",
        extensions=content(CanReadCityAggregates),
    )
    async def results_by_neighbourhood(self, info: Info) -> list[NeighbourhoodConsultationResult]:
        computed = await consultations.results(info.context, self.row)
        options = await info.context.loaders.consultation_options.load(self.row.id)
        rows = []
        for neighbourhood_id in consultations.neighbourhoods_of(computed.by_neighbourhood):
            neighbourhood = Neighbourhood(
                row=await info.context.loaders.neighbourhood.load(neighbourhood_id)
            )
            for option in options:
                figure = computed.by_neighbourhood.get((neighbourhood_id, option.id), Figure(0))
                rows.append(
                    NeighbourhoodConsultationResult(
                        neighbourhood=neighbourhood,
                        option=ConsultationOption(row=option),
                        count=figure.value,
                        suppressed=figure.suppressed,
                    )
                )
        return rows


def _result(option: ConsultationOption, figure: Figure) -> ConsultationResult:
    return ConsultationResult(option=option, count=figure.value, suppressed=figure.suppressed)


@strawberry.federation.type(
    keys=["id"],
    description="An announcement of the city: alert, works, mobility, project, consultation.",
)
class Announcement(Node):
    row: strawberry.Private[models.Announcement]

    @classmethod
    def from_model(cls, row: models.Announcement) -> Announcement:
        return cls(row=row)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Announcement | None:
        row = await references.entity(info.context, "Announcement", id)
        return cls(row=row) if row else None

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Announcement", self.row.id))

    @strawberry.field
    def kind(self) -> models.AnnouncementKind:
        return self.row.kind

    @strawberry.field
    def title(self) -> str:
        return self.row.title

    @strawberry.field
    def body(self) -> str:
        return self.row.body

    @strawberry.field
    def published_at(self) -> datetime:
        return self.row.published_at

    @strawberry.field
    def target(self) -> AnnouncementTarget:
        return AnnouncementTarget(row=self.row)

    @strawberry.field(
        description="Residents notified at publication. Null as well "
        "(recipientCountSuppressed) when it would single out fewer residents than the "
        "suppression threshold; publishing to a small audience stays allowed.",
        extensions=content(CanReadCityAggregates),
    )
    def recipient_count(self, info: Info) -> int | None:
        return announcements.recipient_figure(self.row, info.context.settings.suppression_threshold)

    @strawberry.field(
        description="True when recipientCount is suppressed.",
        extensions=content(CanReadCityAggregates),
    )
    def recipient_count_suppressed(self, info: Info) -> bool | None:
        threshold = info.context.settings.suppression_threshold
        return announcements.recipient_figure(self.row, threshold) is None

    @strawberry.field(
        description="Recipients who read the announcement. Null as well "
        "(readCountSuppressed) with the recipients, or when the readers or the recipients "
        "who have not read are fewer than the suppression threshold.",
        extensions=content(CanReadCityAggregates),
    )
    def read_count(self, info: Info) -> int | None:
        return announcements.read_figure(self.row, info.context.settings.suppression_threshold)

    @strawberry.field(
        description="True when readCount is suppressed.",
        extensions=content(CanReadCityAggregates),
    )
    def read_count_suppressed(self, info: Info) -> bool | None:
        threshold = info.context.settings.suppression_threshold
        return announcements.read_figure(self.row, threshold) is None

    @strawberry.field
    async def consultation(self, info: Info) -> Consultation | None:
        row = await info.context.loaders.consultation.load(self.row.id)
        return Consultation(row=row) if row else None


@strawberry.federation.type(
    keys=["id"], description="A notification sent to the signed-in account."
)
class Notification(Node):
    row: strawberry.Private[models.Notification]

    @classmethod
    def from_model(cls, row: models.Notification) -> Notification:
        return cls(row=row)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Notification | None:
        row = await references.entity(info.context, "Notification", id)
        return cls(row=row) if row else None

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Notification", self.row.id))

    @strawberry.field
    def kind(self) -> models.NotificationKind:
        return self.row.kind

    @strawberry.field
    def read(self) -> bool:
        return self.row.read_at is not None

    @strawberry.field
    def created_at(self) -> datetime:
        return self.row.created_at

    @strawberry.field(
        description="What the notification is about: an announcement, a moderation decision "
        "(the id to give `appealModeration`), or the event (Post) changed or deleted."
    )
    def subject_id(self) -> strawberry.ID | None:
        if self.row.announcement_id is not None:
            return strawberry.ID(to_global_id("Announcement", self.row.announcement_id))
        if self.row.moderation_action_id is not None:
            return strawberry.ID(to_global_id("ModerationAction", self.row.moderation_action_id))
        if self.row.post_id is not None:
            return strawberry.ID(to_global_id("Post", self.row.post_id))
        return None

    @strawberry.field(description="For a moderation decision: its reasons.")
    async def reason(self, info: Info) -> str | None:
        if self.row.moderation_action_id is None:
            return None
        action = await info.context.loaders.moderation_action.load(self.row.moderation_action_id)
        if action is None:
            return None
        return reasons.say(moderation.notified_reason(action), info.context.translate)


@strawberry.type
class CityAnnouncements:
    """What the city's side adds to `City`."""

    row: strawberry.Private[geography_models.City]

    @strawberry.field(
        description="The city's announcements, the most recent first.",
        extensions=requires(CanReadCityAggregates),
    )
    async def announcements(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> Connection[Announcement]:
        page = await announcements.city_announcements(info.context, self.row.id, first, after)
        return Connection.of(page, Announcement.from_model)


@strawberry.type
class AccountInbox:
    """What the city's side adds to `Account`: the resident's inbox."""

    @strawberry.field(
        description="The city's announcements sent to the resident, the most recent first."
    )
    async def announcements(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> Connection[Announcement]:
        page = await announcements.viewer_announcements(info.context, first, after)
        return Connection.of(page, Announcement.from_model)

    @strawberry.field(description="Notifications, the most recent first.")
    async def notifications(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> Connection[Notification]:
        page = await notifications.notifications(info.context, first, after)
        return Connection.of(page, Notification.from_model)

    @strawberry.field
    async def unread_notification_count(self, info: Info) -> int:
        return await notifications.unread_count(info.context)


contribute(City, CityAnnouncements)
contribute(Account, AccountInbox)


@strawberry.type
class AnnouncementAudience:
    recipient_count: int | None = strawberry.field(
        description="Verified residents of the target, today. Null "
        "(recipientCountSuppressed) when it would single out fewer residents than the "
        "suppression threshold, directly or against other targets' figures."
    )
    recipient_count_suppressed: bool = strawberry.field(
        description="True when recipientCount is null."
    )


@strawberry.input
class AnnouncementTargetInput:
    scope: models.TargetScope
    neighbourhood_ids: list[strawberry.ID] | None = None
    street_ids: list[strawberry.ID] | None = None


@strawberry.input
class ConsultationInput:
    question: str
    options: list[str]
    closes_at: datetime | None = None


@strawberry.input
class PublishAnnouncementInput:
    kind: models.AnnouncementKind
    title: str
    body: str
    target: AnnouncementTargetInput
    consultation: ConsultationInput | None = None


@strawberry.input
class AnswerConsultationInput:
    consultation_id: strawberry.ID
    option_id: strawberry.ID


@strawberry.input
class MarkNotificationsReadInput:
    ids: list[strawberry.ID] | None = strawberry.field(default=None, description="Absent : toutes.")


@strawberry.type
class PublishAnnouncementPayload:
    announcement: Announcement | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class AnswerConsultationPayload:
    consultation: Consultation | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class MarkNotificationsReadPayload:
    unread_notification_count: int | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class CityQuery:
    @strawberry.field(
        description="How many verified residents an announcement would reach (small counts "
        "suppressed).",
        extensions=requires(CanReadCityAggregates),
    )
    async def announcement_audience(
        self, info: Info, target: AnnouncementTargetInput
    ) -> AnnouncementAudience:
        count = await announcements.audience_count(
            info.context, target.scope, target.neighbourhood_ids, target.street_ids
        )
        return AnnouncementAudience(recipient_count=count, recipient_count_suppressed=count is None)

    @strawberry.field(
        description="A consultation the account may see; null otherwise.",
        extensions=requires(IsAuthenticated),
    )
    async def consultation(self, info: Info, id: strawberry.ID) -> Consultation | None:
        row = await consultations.consultation(info.context, id)
        return Consultation(row=row) if row else None


@strawberry.type
class CityMutation:
    @strawberry.mutation(
        description="Publish an announcement (and its consultation); one notification per recipient.",
        extensions=requires(IsCityStaff),
    )
    async def publish_announcement(
        self, info: Info, input: PublishAnnouncementInput
    ) -> PublishAnnouncementPayload:
        async def publish() -> models.Announcement:
            checks = Checks()
            draft = None
            if input.consultation is not None:
                c = input.consultation
                draft = announcements.check_consultation(checks, c.question, c.options, c.closes_at)
            return await announcements.publish(
                info.context,
                kind=input.kind,
                title=input.title,
                body=input.body,
                scope=input.target.scope,
                neighbourhood_ids=input.target.neighbourhood_ids,
                street_ids=input.target.street_ids,
                consultation=draft,
                checks=checks,
            )

        return await attempt(
            publish(),
            lambda row: PublishAnnouncementPayload(announcement=Announcement(row=row)),
            lambda errors: PublishAnnouncementPayload(user_errors=errors),
        )

    @strawberry.mutation(
        description="Answer (or change one's answer) while the consultation is open.",
        extensions=requires(IsResident),
    )
    async def answer_consultation(
        self, info: Info, input: AnswerConsultationInput
    ) -> AnswerConsultationPayload:
        action = consultations.answer(
            info.context, consultation_id=input.consultation_id, option_id=input.option_id
        )
        return await attempt(
            action,
            lambda row: AnswerConsultationPayload(consultation=Consultation(row=row)),
            lambda errors: AnswerConsultationPayload(user_errors=errors),
        )

    @strawberry.mutation(
        description="Mark one's notifications read (all of them, without `ids`).",
        extensions=requires(IsAuthenticated),
    )
    async def mark_notifications_read(
        self, info: Info, input: MarkNotificationsReadInput
    ) -> MarkNotificationsReadPayload:
        return await attempt(
            notifications.mark_read(info.context, input.ids),
            lambda count: MarkNotificationsReadPayload(unread_notification_count=count),
            lambda errors: MarkNotificationsReadPayload(user_errors=errors),
        )
