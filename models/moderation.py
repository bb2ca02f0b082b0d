"""Reports of posts, comments and messages."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields

from models.accounts import Account
from models.base import Model


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


class ModerationKind(StrEnum):
    HIDE_CONTENT = "HIDE_CONTENT"
    RESTORE_CONTENT = "RESTORE_CONTENT"
    DISMISS_REPORTS = "DISMISS_REPORTS"
    SUSPEND_ACCOUNT = "SUSPEND_ACCOUNT"
    REINSTATE_ACCOUNT = "REINSTATE_ACCOUNT"
    # Outcomes of appeals; written by `decideAppeal`, never accepted by `moderate`.
    APPEAL_ACCEPTED = "APPEAL_ACCEPTED"
    APPEAL_REJECTED = "APPEAL_REJECTED"


class SubjectType(StrEnum):
    POST = "POST"
    COMMENT = "COMMENT"
    MESSAGE = "MESSAGE"
    ACCOUNT = "ACCOUNT"
    REPORT = "REPORT"


class ModerationAction(Model):
    # Append-only: the migration installs triggers refusing UPDATE and DELETE on this table.
    id = fields.IntField(primary_key=True)
    # Null for what the platform did by itself (auto-hide).
    moderator: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "quartier.Account", related_name="moderation_actions", null=True, on_delete=fields.RESTRICT
    )
    moderator_id: int | None
    kind = fields.CharEnumField(ModerationKind, max_length=20)
    subject_type = fields.CharEnumField(SubjectType, max_length=10)
    subject_id = fields.IntField()
    # The account whose content or standing the action touched: the one who may appeal.
    affected_account: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "quartier.Account", related_name="moderation_received", null=True, on_delete=fields.RESTRICT
    )
    affected_account_id: int | None
    reason = fields.TextField()
    until = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "moderation_action"
        indexes = (("created_at", "id"), ("subject_type", "subject_id"))


class AppealStatus(StrEnum):
    OPEN = "OPEN"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"


class Appeal(Model):
    id = fields.IntField(primary_key=True)
    action: fields.OneToOneRelation[ModerationAction] = fields.OneToOneField(
        "quartier.ModerationAction", related_name="appeal", on_delete=fields.RESTRICT
    )
    action_id: int
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "quartier.Account", related_name="appeals", on_delete=fields.CASCADE
    )
    account_id: int
    message = fields.TextField()
    status = fields.CharEnumField(AppealStatus, max_length=10, default=AppealStatus.OPEN)
    created_at = fields.DatetimeField()
    decided_at = fields.DatetimeField(null=True)

    class Meta:
        table = "appeal"
        indexes = (("status", "created_at"),)
