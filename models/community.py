"""The neighbourhood feed: topics, posts, comments and reactions."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields

from models.accounts import Account
from models.base import Model
from models.geography import City, Neighbourhood


class PostKind(StrEnum):
    DISCUSSION = "DISCUSSION"
    SERVICE_OFFER = "SERVICE_OFFER"
    SERVICE_REQUEST = "SERVICE_REQUEST"
    ITEM_GIVEAWAY = "ITEM_GIVEAWAY"
    ITEM_REQUEST = "ITEM_REQUEST"
    EVENT = "EVENT"
    LOST_AND_FOUND = "LOST_AND_FOUND"


class Topic(Model):
    id = fields.IntField(primary_key=True)
    city: fields.ForeignKeyRelation[City] = fields.ForeignKeyField(
        "quartier.City", related_name="topics", on_delete=fields.RESTRICT
    )
    city_id: int
    slug = fields.CharField(max_length=40)
    # In French, the default language; the others fall back to it when empty.
    label = fields.CharField(max_length=80)
    label_nl = fields.CharField(max_length=80, null=True)
    label_en = fields.CharField(max_length=80, null=True)

    class Meta:
        table = "topic"
        unique_together = (("city", "slug"),)

    def label_in(self, language: str) -> str:
        """The label in `language` (fr, nl, en); the French one where the city gave none."""
        if language == "nl":
            return self.label_nl or self.label
        if language == "en":
            return self.label_en or self.label
        return self.label


class Post(Model):
    id = fields.IntField(primary_key=True)
    neighbourhood: fields.ForeignKeyRelation[Neighbourhood] = fields.ForeignKeyField(
        "quartier.Neighbourhood", related_name="posts", on_delete=fields.RESTRICT
    )
    neighbourhood_id: int
    author: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "quartier.Account", related_name="posts", on_delete=fields.RESTRICT
    )
    author_id: int
    kind = fields.CharEnumField(PostKind, max_length=20)
    title = fields.CharField(max_length=200)
    body = fields.TextField()
    share_with_city = fields.BooleanField(default=False)
    # Optimistic concurrency: an edit names the version it read.
    version = fields.IntField(default=1)
    # Kept on the row so a feed page needs no COUNT per post; changed in the same
    # transaction as the comment or reaction that moves them.
    comment_count = fields.IntField(default=0)
    reaction_count = fields.IntField(default=0)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField(null=True)
    deleted_at = fields.DatetimeField(null=True)
    hidden_at = fields.DatetimeField(null=True)
    # Shown to the author beside the hidden content; set with hidden_at.
    hidden_reason = fields.TextField(null=True)

    class Meta:
        table = "post"
        indexes = (("neighbourhood_id", "created_at", "id"),)


class PostTopic(Model):
    id = fields.IntField(primary_key=True)
    post: fields.ForeignKeyRelation[Post] = fields.ForeignKeyField(
        "quartier.Post", related_name="post_topics", on_delete=fields.CASCADE
    )
    post_id: int
    topic: fields.ForeignKeyRelation[Topic] = fields.ForeignKeyField(
        "quartier.Topic", related_name="post_topics", on_delete=fields.RESTRICT
    )
    topic_id: int

    class Meta:
        table = "post_topic"
        unique_together = (("post", "topic"),)
        indexes = (("topic_id", "post_id"),)


class Comment(Model):
    id = fields.IntField(primary_key=True)
    post: fields.ForeignKeyRelation[Post] = fields.ForeignKeyField(
        "quartier.Post", related_name="comments", on_delete=fields.CASCADE
    )
    post_id: int
    author: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "quartier.Account", related_name="comments", on_delete=fields.RESTRICT
    )
    author_id: int
    body = fields.TextField()
    created_at = fields.DatetimeField()
    deleted_at = fields.DatetimeField(null=True)
    hidden_at = fields.DatetimeField(null=True)
    # Shown to the author beside the hidden content; set with hidden_at.
    hidden_reason = fields.TextField(null=True)

    class Meta:
        table = "comment"
        # The second serves topicInsights: a period's comments are read from the index alone,
        # without touching the wide rows that hold the bodies.
        indexes = (
            ("post_id", "created_at", "id"),
            ("created_at", "post_id", "deleted_at", "hidden_at"),
        )


class Reaction(Model):
    id = fields.IntField(primary_key=True)
    post: fields.ForeignKeyRelation[Post] = fields.ForeignKeyField(
        "quartier.Post", related_name="reactions", on_delete=fields.CASCADE
    )
    post_id: int
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "quartier.Account", related_name="reactions", on_delete=fields.CASCADE
    )
    account_id: int
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "reaction"
        unique_together = (("post", "account"),)
        # topicInsights counts a period's reactions from this index alone.
        indexes = (("created_at", "post_id"),)
