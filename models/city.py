"""The city's side: announcements, their consultations, and the notifications they fan out."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields

from models.accounts import Account
from models.base import Model
from models.community import Post
from models.geography import City, Neighbourhood, Street
from models.moderation import ModerationAction


class AnnouncementKind(StrEnum):
    INFO = "INFO"
    ALERT = "ALERT"
    WORKS = "WORKS"
    MOBILITY = "MOBILITY"
    PROJECT = "PROJECT"
    CONSULTATION = "CONSULTATION"


class TargetScope(StrEnum):
    CITY = "CITY"
    NEIGHBOURHOODS = "NEIGHBOURHOODS"
    STREETS = "STREETS"


class Announcement(Model):
    id = fields.IntField(primary_key=True)
    city: fields.ForeignKeyRelation[City] = fields.ForeignKeyField(
        "quartier.City", related_name="announcements", on_delete=fields.RESTRICT
    )
    city_id: int
    author: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "quartier.Account", related_name="announcements", on_delete=fields.RESTRICT
    )
    author_id: int
    kind = fields.CharEnumField(AnnouncementKind, max_length=20)
    title = fields.CharField(max_length=200)
    body = fields.TextField()
    scope = fields.CharEnumField(TargetScope, max_length=20)
    # Fixed at publication: the audience is the verified residents of the target then.
    recipient_count = fields.IntField(default=0)
    # Kept beside the notifications rather than counted from them: a recipient who erases
    # their account takes their notifications along, and a published figure must not move.
    read_count = fields.IntField(default=0, db_default=0)
    # Decided at publication with the figures around it then (resolvers/small_counts.py).
    audience_suppressed = fields.BooleanField(default=False, db_default=False)
    published_at = fields.DatetimeField()

    class Meta:
        table = "announcement"
        indexes = (("city_id", "published_at", "id"),)


class AnnouncementNeighbourhood(Model):
    id = fields.IntField(primary_key=True)
    announcement: fields.ForeignKeyRelation[Announcement] = fields.ForeignKeyField(
        "quartier.Announcement", related_name="target_neighbourhoods", on_delete=fields.CASCADE
    )
    announcement_id: int
    neighbourhood: fields.ForeignKeyRelation[Neighbourhood] = fields.ForeignKeyField(
        "quartier.Neighbourhood", related_name="announcement_targets", on_delete=fields.RESTRICT
    )
    neighbourhood_id: int

    class Meta:
        table = "announcement_neighbourhood"
        unique_together = (("announcement", "neighbourhood"),)


class AnnouncementStreet(Model):
    id = fields.IntField(primary_key=True)
    announcement: fields.ForeignKeyRelation[Announcement] = fields.ForeignKeyField(
        "quartier.Announcement", related_name="target_streets", on_delete=fields.CASCADE
    )
    announcement_id: int
    street: fields.ForeignKeyRelation[Street] = fields.ForeignKeyField(
        "quartier.Street", related_name="announcement_targets", on_delete=fields.RESTRICT
    )
    street_id: int

    class Meta:
        table = "announcement_street"
        unique_together = (("announcement", "street"),)


class Consultation(Model):
    id = fields.IntField(primary_key=True)
    announcement: fields.OneToOneRelation[Announcement] = fields.OneToOneField(
        "quartier.Announcement", related_name="consultation", on_delete=fields.CASCADE
    )
    announcement_id: int
    question = fields.CharField(max_length=300)
    closes_at = fields.DatetimeField(null=True)

    class Meta:
        table = "consultation"


class ConsultationOption(Model):
    id = fields.IntField(primary_key=True)
    consultation: fields.ForeignKeyRelation[Consultation] = fields.ForeignKeyField(
        "quartier.Consultation", related_name="options", on_delete=fields.CASCADE
    )
    consultation_id: int
    label = fields.CharField(max_length=200)
    position = fields.IntField()

    class Meta:
        table = "consultation_option"
        unique_together = (("consultation", "position"),)


class ConsultationAnswer(Model):
    id = fields.IntField(primary_key=True)
    consultation: fields.ForeignKeyRelation[Consultation] = fields.ForeignKeyField(
        "quartier.Consultation", related_name="answers", on_delete=fields.CASCADE
    )
    consultation_id: int
    option: fields.ForeignKeyRelation[ConsultationOption] = fields.ForeignKeyField(
        "quartier.ConsultationOption", related_name="answers", on_delete=fields.CASCADE
    )
    option_id: int
    # Null once the resident erased their account: the answer stays as an anonymous count.
    account: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "quartier.Account",
        related_name="consultation_answers",
        null=True,
        on_delete=fields.CASCADE,
    )
    account_id: int | None
    # Where the resident lived when answering: results per neighbourhood group by it.
    neighbourhood: fields.ForeignKeyRelation[Neighbourhood] = fields.ForeignKeyField(
        "quartier.Neighbourhood", related_name="consultation_answers", on_delete=fields.RESTRICT
    )
    neighbourhood_id: int
    answered_at = fields.DatetimeField()

    class Meta:
        table = "consultation_answer"
        # One answer per resident; answering again updates it.
        unique_together = (("consultation", "account"),)


class NotificationKind(StrEnum):
    ANNOUNCEMENT = "ANNOUNCEMENT"
    MODERATION = "MODERATION"
    # An event the resident attends was edited or deleted.
    EVENT_CHANGED = "EVENT_CHANGED"


class Notification(Model):
    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "quartier.Account", related_name="notifications", on_delete=fields.CASCADE
    )
    account_id: int
    kind = fields.CharEnumField(NotificationKind, max_length=20)
    announcement: fields.ForeignKeyNullableRelation[Announcement] = fields.ForeignKeyField(
        "quartier.Announcement", related_name="notifications", null=True, on_delete=fields.CASCADE
    )
    announcement_id: int | None
    moderation_action: fields.ForeignKeyNullableRelation[ModerationAction] = fields.ForeignKeyField(
        "quartier.ModerationAction",
        related_name="notifications",
        null=True,
        on_delete=fields.CASCADE,
    )
    moderation_action_id: int | None
    # The event (a post) an EVENT_CHANGED notification is about.
    post: fields.ForeignKeyNullableRelation[Post] = fields.ForeignKeyField(
        "quartier.Post", related_name="notifications", null=True, on_delete=fields.SET_NULL
    )
    post_id: int | None
    created_at = fields.DatetimeField()
    read_at = fields.DatetimeField(null=True)

    class Meta:
        table = "notification"
        unique_together = (("account", "announcement"),)
        indexes = (("account_id", "created_at", "id"), ("announcement_id", "read_at"))
