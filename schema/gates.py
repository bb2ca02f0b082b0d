"""Production's gates: who may read the schema, and who may call federation's own fields.

Introspection (`__schema`, `__type`) is for moderators and admins, whose GraphiQL needs it.
`_service { sdl }` prints the whole schema: the gateway's, and on the monolith staff's as
well. `_entities` fetches objects by key for the gateway alone: a client has the API's own
fields, and `_entities` would let it ask for thousands of objects in one request. The
gateway proves itself with the shared secret it adds to every subgraph request
(`Context.from_gateway`, server/gateway_secret.py). The ValidationCache keys on the rules, so
a document validated for one caller is never taken as valid for another.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError
from graphql.language import FieldNode
from graphql.validation import NoSchemaIntrospectionCustomRule, ValidationRule
from strawberry.extensions.base_extension import SchemaExtension

from permissions.errors import Forbidden
from permissions.roles import is_staff
from permissions.text import tr


class NoFederationSdlRule(ValidationRule):
    def enter_field(self, node: FieldNode, *_args: Any) -> None:
        if node.name.value == "_service":
            self.report_error(
                GraphQLError(
                    "GraphQL introspection has been disabled, but the requested query "
                    "contained the field '_service'.",
                    node,
                )
            )


class GatewayOnlyEntitiesRule(ValidationRule):
    def enter_field(self, node: FieldNode, *_args: Any) -> None:
        if node.name.value == "_entities":
            self.report_error(
                GraphQLError(
                    tr("`_entities` est réservé à la passerelle de fédération."),
                    node,
                    extensions={"code": Forbidden.code},
                )
            )


class ProductionGates(SchemaExtension):
    def __init__(self, *, subgraph: bool) -> None:
        super().__init__()
        self.subgraph = subgraph

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context.context
        gateway = bool(getattr(context, "from_gateway", False))
        staff = is_staff(getattr(context, "viewer", None))
        rules: list[type[ValidationRule]] = []
        if not staff:
            rules.append(NoSchemaIntrospectionCustomRule)
        if not gateway and (self.subgraph or not staff):
            rules.append(NoFederationSdlRule)
        if not gateway:
            rules.append(GatewayOnlyEntitiesRule)
        self.execution_context.validation_rules = (
            *self.execution_context.validation_rules,
            *rules,
        )
        yield
