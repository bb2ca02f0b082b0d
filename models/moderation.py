"""Reports of posts, comments and messages."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from models.accounts import Account


class ContentType(StrEnum):
    POST = "POST"
    COMMENT = "COMMENT"
    MESSAGE = "MESSAGE"


class ReportReason(StrEnum):
    SPAM = "SPAM"
    HARASSMENT = "HARASSMENT"
    HATE = "HATE"
    PRIVACY = "PRIVACY"
    ILLEGAL = "ILLEGAL"
    OTHER = "OTHER"


class ReportStatus(StrEnum):
    OPEN = "OPEN"
    RESOLVED = "RESOLVED"
    DISMISSED = "DISMISSED"


class Report(Model):
    id = fields.IntField(primary_key=True)
    reporter: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "quartier.Account", related_name="reports", on_delete=fields.CASCADE
    )
    reporter_id: int
    content_type = fields.CharEnumField(ContentType, max_length=10)
    content_id = fields.IntField()
    reason = fields.CharEnumField(ReportReason, max_length=12)
    note = fields.TextField(null=True)
    status = fields.CharEnumField(ReportStatus, max_length=10, default=ReportStatus.OPEN)
    created_at = fields.DatetimeField()

    class Meta:
        table = "report"
        # One report per reporter and content: reporting twice does not weigh twice.
        unique_together = (("reporter", "content_type", "content_id"),)
        indexes = (("status", "created_at"), ("content_type", "content_id"))
