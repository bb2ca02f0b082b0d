"""Topic insights: how much each topic is discussed, per neighbourhood and period, for the city."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from permissions import CanReadCityAggregates, requires
from resolvers import insights
from resolvers.suppression import Interval
from schema.geography import Neighbourhood, Topic

InsightInterval = strawberry.enum(
    Interval,
    name="InsightInterval",
    description="How topicInsights cuts time, in UTC: NONE (the whole period, in whole "
    "months), DAY, WEEK (ISO weeks, from Monday) or MONTH (calendar months).",
)


@strawberry.type(
    description="A topic's activity in a neighbourhood over a period. A count below the "
    "privacy threshold (but 0), or one that would reveal such a count, is null."
)
class TopicInsight:
    row: strawberry.Private[insights.InsightRow]

    @classmethod
    def from_model(cls, row: insights.InsightRow) -> TopicInsight:
        return cls(row=row)

    @strawberry.field
    def neighbourhood(self) -> Neighbourhood:
        return Neighbourhood.from_model(self.row.neighbourhood)

    @strawberry.field
    def topic(self) -> Topic:
        return Topic.from_model(self.row.topic)

    @strawberry.field(description="Start of the period (midnight UTC).")
    def period_start(self) -> datetime:
        return self.row.period_start

    @strawberry.field(description="Posts; null when suppressed.")
    def post_count(self) -> int | None:
        return self.row.post_count

    @strawberry.field(description="Comments; null when suppressed.")
    def comment_count(self) -> int | None:
        return self.row.comment_count

    @strawberry.field(description="Reactions; null when suppressed.")
    def reaction_count(self) -> int | None:
        return self.row.reaction_count

    @strawberry.field(description="True when at least one of the three counts is suppressed.")
    def suppressed(self) -> bool:
        return self.row.suppressed


@strawberry.type
class InsightsQuery:
    @strawberry.field(
        description="Posts, comments and reactions per neighbourhood, topic and period, "
        "hidden or deleted content left out; every combination, zeros included. The city's "
        "accounts get their city's neighbourhoods, moderators those of one city per request. "
        "Periods are aligned in UTC and a period not yet over is left out; at most 2 years, "
        "93 days in DAY, 54 weeks in WEEK.",
        extensions=requires(CanReadCityAggregates),
    )
    async def topic_insights(
        self,
        info: Info,
        from_: Annotated[datetime, strawberry.argument(name="from")],
        to: datetime,
        neighbourhood_ids: list[strawberry.ID] | None = None,
        interval: Interval | None = Interval.NONE,
    ) -> list[TopicInsight]:
        rows = await insights.topic_insights(info.context, from_, to, neighbourhood_ids, interval)
        return [TopicInsight.from_model(row) for row in rows]
