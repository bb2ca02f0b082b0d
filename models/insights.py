"""Frozen topicInsights: what each neighbourhood's topics counted on each ended UTC day."""

from __future__ import annotations

from tortoise import fields

from models.base import Model
from models.community import Topic
from models.geography import Neighbourhood


class InsightDay(Model):
    # One row per (neighbourhood, topic, day) with a nonzero count, written once when the day
    # has ended and never changed (resolvers/insight_snapshots.py says why).

    id = fields.IntField(primary_key=True)
    neighbourhood: fields.ForeignKeyRelation[Neighbourhood] = fields.ForeignKeyField(
        "quartier.Neighbourhood", related_name="insight_days", on_delete=fields.RESTRICT
    )
    neighbourhood_id: int
    topic: fields.ForeignKeyRelation[Topic] = fields.ForeignKeyField(
        "quartier.Topic", related_name="insight_days", on_delete=fields.RESTRICT
    )
    topic_id: int
    day = fields.DateField()
    posts = fields.IntField(default=0)
    comments = fields.IntField(default=0)
    reactions = fields.IntField(default=0)

    class Meta:
        table = "insight_day"
        unique_together = (("neighbourhood", "topic", "day"),)
        indexes = (("day", "neighbourhood_id"),)
