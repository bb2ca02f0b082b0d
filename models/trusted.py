"""Trusted documents: the operations a client build is known to send, stored by their id
(`sha256:` and the hex SHA-256 of the text), so that requests may name them instead of
sending them (server/trusted/)."""

from __future__ import annotations

from tortoise import fields

from models.base import Model


class TrustedDocument(Model):
    # "sha256:" and 64 hex digits of the text's SHA-256 (UTF-8).
    id = fields.CharField(max_length=71, primary_key=True)
    body = fields.TextField()
    # The names of its operations, space-separated ("" for an anonymous one).
    operation_names = fields.CharField(max_length=1000, default="")
    # Where it came from: "contract:web" for the built-in manifest, else the imported file.
    origin = fields.CharField(max_length=300)
    created_at = fields.DatetimeField()

    class Meta:
        table = "trusted_document"
