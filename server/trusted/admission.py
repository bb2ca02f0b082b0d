"""What a request names, and whether its caller may run it under the setting.

A request names a trusted document by GraphQL over HTTP's `documentId` (`sha256:<hex>`) or by
Apollo's `extensions.persistedQuery.sha256Hash` (`<hex>`), with or without its text:
- `off`: neither is accepted (PERSISTED_QUERY_NOT_SUPPORTED): text only.
- `allow`: a known id runs its trusted document; an unknown one is PERSISTED_QUERY_NOT_FOUND
  (Apollo's form, whose clients then send the text) or TRUSTED_DOCUMENT_NOT_FOUND. Text sent
  with its hash (Apollo's registration) runs as text and is not stored: clients do not add
  trusted documents, operators import them.
- `require`: as `allow`, and an anonymous caller or a resident that sends text which is not a
  trusted document is refused (TRUSTED_DOCUMENT_REQUIRED). Staff (GraphiQL), city roles and
  API tokens send any text, within the same limits. Requests that carry the gateway's secret
  were admitted by the gateway, the edge that sees the client (gateway/serve.mjs).
An id that does not match the text sent with it is refused (DOCUMENT_ID_MISMATCH).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from graphql import GraphQLError

from models.accounts import Account, Role
from permissions.text import tr
from server.settings import TrustedDocumentsMode
from server.trusted.documents import PREFIX, Trusted, document_id, is_document_id
from server.trusted.registry import TrustedDocuments

# Apollo's clients read these exact words and code to send the text.
APQ_NOT_FOUND: Final = "PersistedQueryNotFound"
APQ_NOT_SUPPORTED: Final = "PersistedQueryNotSupported"
NOT_FOUND: Final = "PERSISTED_QUERY_NOT_FOUND"
NOT_SUPPORTED: Final = "PERSISTED_QUERY_NOT_SUPPORTED"
DOCUMENT_NOT_FOUND: Final = "TRUSTED_DOCUMENT_NOT_FOUND"
REQUIRED: Final = "TRUSTED_DOCUMENT_REQUIRED"
MISMATCH: Final = "DOCUMENT_ID_MISMATCH"


@dataclass(frozen=True)
class Named:
    """The id a request names, and in which form (Apollo's or GraphQL over HTTP's)."""

    id: str
    apollo: bool


def _error(message: str, code: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code})


def named(document_id_: str | None, extensions: Mapping[str, Any] | None) -> Named | None:
    """The id the request names; a GraphQLError when it names two that differ."""
    persisted = (extensions or {}).get("persistedQuery")
    apollo = None
    if isinstance(persisted, Mapping) and isinstance(persisted.get("sha256Hash"), str):
        apollo = PREFIX + persisted["sha256Hash"].lower()
    if document_id_ is not None and apollo is not None and document_id_ != apollo:
        raise _error(
            tr("`documentId` et `extensions.persistedQuery` désignent deux documents."), MISMATCH
        )
    if document_id_ is not None:
        return Named(document_id_, apollo=False)
    return Named(apollo, apollo=True) if apollo is not None else None


def free_text_allowed(viewer: Account | None) -> bool:
    """Who may send any document under `require`: staff, city roles, API tokens."""
    return viewer is not None and viewer.role is not Role.RESIDENT


class Admission:
    def __init__(self, mode: TrustedDocumentsMode, documents: TrustedDocuments) -> None:
        self.mode = mode
        self.documents = documents

    async def admit(
        self,
        query: str | None,
        document_id_: str | None,
        extensions: Mapping[str, Any] | None,
        viewer: Account | None,
        *,
        from_gateway: bool = False,
    ) -> Trusted | None:
        """The trusted document to run, or None to run `query` as text; a GraphQLError (a
        request error, with its code) when the request may not run."""
        name = named(document_id_, extensions)
        if self.mode is TrustedDocumentsMode.OFF:
            if name is not None:
                raise _error(
                    APQ_NOT_SUPPORTED
                    if name.apollo
                    else tr("Les documents de confiance ne sont pas activés : envoyez le texte."),
                    NOT_SUPPORTED,
                )
            return None
        if name is not None and query is not None and document_id(query) != name.id:
            raise _error(tr("L'identifiant ne correspond pas au texte du document."), MISMATCH)
        if name is None and query is None:
            return None  # Strawberry answers that the request has no document.
        restricted = (
            self.mode is TrustedDocumentsMode.REQUIRE
            and not from_gateway
            and not free_text_allowed(viewer)
        )
        if name is None and not restricted:
            return None
        id_ = name.id if name is not None else document_id(query or "")
        found = await self.documents.get(id_) if is_document_id(id_) else None
        if found is not None:
            return found
        if name is not None and query is None:
            raise _error(
                APQ_NOT_FOUND
                if name.apollo
                else tr("Document de confiance inconnu : {id}.", id=name.id[:80]),
                NOT_FOUND if name.apollo else DOCUMENT_NOT_FOUND,
            )
        if restricted:
            raise _error(
                tr(
                    "Ce serveur n'exécute que les documents de confiance de ses clients : "
                    "envoyez le `documentId` d'un document connu."
                ),
                REQUIRED,
            )
        return None
