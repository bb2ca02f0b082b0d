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
    description="Le découpage de topicInsights, en UTC : NONE (toute la période, en mois "
    "entiers), DAY, WEEK (semaines ISO, du lundi) ou MONTH (mois civils).",
)


@strawberry.type(
    description="L'activité d'un thème dans un quartier sur une période. Un compte inférieur "
    "au seuil de confidentialité (sauf 0), ou qui permettrait d'en déduire un, vaut null."
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

    @strawberry.field(description="Début de la période (minuit UTC).")
    def period_start(self) -> datetime:
        return self.row.period_start

    @strawberry.field(description="Publications ; null si masqué.")
    def post_count(self) -> int | None:
        return self.row.post_count

    @strawberry.field(description="Commentaires ; null si masqué.")
    def comment_count(self) -> int | None:
        return self.row.comment_count

    @strawberry.field(description="Réactions ; null si masqué.")
    def reaction_count(self) -> int | None:
        return self.row.reaction_count

    @strawberry.field(description="Vrai quand au moins un des trois comptes est masqué.")
    def suppressed(self) -> bool:
        return self.row.suppressed


@strawberry.type
class InsightsQuery:
    @strawberry.field(
        description="Publications, commentaires et réactions par quartier, thème et période, "
        "contenus masqués ou supprimés exclus ; toutes les combinaisons, zéros compris. "
        "Réservé aux comptes de la ville (ses quartiers) et aux modérateurs (les quartiers "
        "d'une ville par requête). Les périodes sont alignées en UTC et une période non "
        "terminée est masquée ; au plus 2 ans, 93 jours en DAY, 54 semaines en WEEK.",
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
