"""The process's trusted documents by id: read from the table the first time a request names
one, checked once (parsed, validated, measured) and kept, so that every later request that
names it runs the parsed document as it is. `get` is the lookup an execution cache (a
compiled plan, say) would extend."""

from __future__ import annotations

import logging
from typing import Final

from graphql import GraphQLSchema

from models.trusted import TrustedDocument
from server.trusted.documents import Refused, Trusted, checked, document_id

logger = logging.getLogger("quartier.trusted")
# Client builds in service at once, times their operations: far above any real count, a
# bound on the memory a flood of imports could take.
MAX_KEPT: Final = 4096


class TrustedDocuments:
    def __init__(self, schema: GraphQLSchema) -> None:
        self.schema = schema
        self.kept: dict[str, Trusted] = {}

    async def get(self, id_: str) -> Trusted | None:
        """The trusted document with that id, or None: unknown, or (after a change of the
        schema) no longer valid, which is logged."""
        found = self.kept.get(id_)
        if found is not None:
            return found
        row = await TrustedDocument.get_or_none(id=id_)
        if row is None or document_id(row.body) != id_:
            return None
        try:
            found = checked(self.schema, row.body)
        except Refused as refusal:
            logger.warning("trusted document %s is no longer valid: %s", id_, refusal)
            return None
        if len(self.kept) >= MAX_KEPT:
            self.kept.clear()
        self.kept[id_] = found
        return found
