"""Events: the date, place and attendees of a post of kind EVENT."""

from __future__ import annotations

from tortoise import fields

from models.accounts import Account
from models.base import Model
from models.community import Post
from models.geography import Neighbourhood, Street


class Event(Model):
    id = fields.IntField(primary_key=True)
    post: fields.OneToOneRelation[Post] = fields.OneToOneField(
        "quartier.Post", related_name="event", on_delete=fields.CASCADE
    )
    post_id: int
    # Copied from the post: the neighbourhood's upcoming events come from this table alone.
    neighbourhood: fields.ForeignKeyRelation[Neighbourhood] = fields.ForeignKeyField(
        "quartier.Neighbourhood", related_name="events", on_delete=fields.RESTRICT
    )
    neighbourhood_id: int
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField(null=True)
    place = fields.CharField(max_length=200)
    street: fields.ForeignKeyNullableRelation[Street] = fields.ForeignKeyField(
        "quartier.Street", related_name="events", null=True, on_delete=fields.RESTRICT
    )
    street_id: int | None
    # Kept on the row, changed in the same transaction as the attendance that moves it.
    attendee_count = fields.IntField(default=0)

    class Meta:
        table = "event"
        indexes = (("neighbourhood_id", "starts_at", "post_id"),)


class EventAttendee(Model):
    id = fields.IntField(primary_key=True)
    event: fields.ForeignKeyRelation[Event] = fields.ForeignKeyField(
        "quartier.Event", related_name="attendees", on_delete=fields.CASCADE
    )
    event_id: int
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "quartier.Account", related_name="attendances", on_delete=fields.CASCADE
    )
    account_id: int
    created_at = fields.DatetimeField()

    class Meta:
        table = "event_attendee"
        unique_together = (("event", "account"),)
        indexes = (("event_id", "created_at", "id"), ("account_id", "event_id"))
