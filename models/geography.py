"""Cities, their neighbourhoods and streets."""

from __future__ import annotations

import unicodedata

from tortoise import fields

from models.base import Model


def fold(text: str) -> str:
    """Lower-case `text` and strip its accents, so "Rue Émile" is found by "rue emile"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


class City(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=120, unique=True)
    # An IANA name: the city's roles see a post's day at midnight in this zone.
    time_zone = fields.CharField(
        max_length=64, default="Europe/Brussels", db_default="Europe/Brussels"
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "city"


class Neighbourhood(Model):
    id = fields.IntField(primary_key=True)
    city: fields.ForeignKeyRelation[City] = fields.ForeignKeyField(
        "quartier.City", related_name="neighbourhoods", on_delete=fields.RESTRICT
    )
    city_id: int
    name = fields.CharField(max_length=120)
    activation_threshold = fields.IntField(default=10)
    activated_at = fields.DatetimeField(null=True)
    # topicInsights: the days before this one are frozen in `insight_day` (models/insights.py).
    insights_frozen_until = fields.DateField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "neighbourhood"
        unique_together = (("city", "name"),)

    @property
    def is_active(self) -> bool:
        return self.activated_at is not None


class Street(Model):
    id = fields.IntField(primary_key=True)
    neighbourhood: fields.ForeignKeyRelation[Neighbourhood] = fields.ForeignKeyField(
        "quartier.Neighbourhood", related_name="streets", on_delete=fields.RESTRICT
    )
    neighbourhood_id: int
    name = fields.CharField(max_length=200)
    # Accent- and case-folded copy of the name: the same search works on SQLite and PostgreSQL.
    search_name = fields.CharField(max_length=200, db_index=True)
    postal_code = fields.CharField(max_length=10)

    class Meta:
        table = "street"
        unique_together = (("neighbourhood", "name", "postal_code"),)
