"""Tortoise models, one module per domain. No GraphQL here."""

MODEL_MODULES = [
    "models.geography",
    "models.accounts",
    "models.community",
    "models.messaging",
    "models.moderation",
    "models.city",
    "models.mail",
    "models.insights",
    "models.media",
    "models.events",
    "models.trusted",
]
