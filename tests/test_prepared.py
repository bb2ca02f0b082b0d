"""schema/prepared.py builds an executor from what a document and plain variables decided
before, and it is the executor graphql-core's own build would make; anything else, errors
included, is graphql-core's build."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError, parse

from schema.compiled.executor import CompiledExecutor
from schema.prepared import DOCUMENTS, PreparedExecutor
from schema.schemas import build_schema

SCHEMA = build_schema(production=False)._schema
FEED = parse(
    """
    query Feed($id: ID!, $first: Int = 20, $after: String, $kind: PostKind) {
      neighbourhood(id: $id) { ...Named posts(first: $first, after: $after, kind: $kind) {
        edges { node { id } } } }
    }
    query Other { topics { slug } }
    fragment Named on Neighbourhood { id name }
    """
)


def build(executor: type[CompiledExecutor], variables: Any, name: str | None = "Feed") -> Any:
    return executor.build(SCHEMA, FEED, raw_variable_values=variables, operation_name=name)


def sources(executor: Any) -> dict[str, Any]:
    return {
        name: (str(source.signature.type), source.signature.default, source.value)
        for name, source in executor.variable_values.sources.items()
    }


def test_an_executor_built_from_what_was_kept_is_graphql_cores() -> None:
    variables = {"id": "TmVpZ2hib3VyaG9vZDox", "first": 3, "kind": "EVENT", "after": None}
    first, kept = build(PreparedExecutor, variables), build(PreparedExecutor, dict(variables))
    plain = build(CompiledExecutor, variables)

    assert kept.variable_values is first.variable_values
    for executor in (first, kept):
        assert isinstance(executor, PreparedExecutor)
        assert executor.operation is plain.operation
        assert executor.fragment_definitions == plain.fragment_definitions
        assert executor.fragments == plain.fragments
        assert executor.variable_values.coerced == plain.variable_values.coerced
        # graphql-core wraps a non-null type anew on every build: compared as printed.
        assert sources(executor) == sources(plain)


def test_new_values_for_a_kept_document_are_coerced_as_graphql_core_coerces_them() -> None:
    build(PreparedExecutor, {"id": "1"})
    for variables in ({"id": "2", "after": "x" * 300}, {"id": "3", "kind": "EVENT"}):
        prepared, plain = build(PreparedExecutor, variables), build(CompiledExecutor, variables)

        assert prepared.operation is plain.operation
        assert prepared.fragments == plain.fragments
        assert prepared.variable_values.coerced == plain.variable_values.coerced
        assert sources(prepared) == sources(plain)


def test_a_value_equal_to_a_kept_one_but_of_another_type_is_coerced_again() -> None:
    build(PreparedExecutor, {"id": "1", "first": 1})

    errors = build(PreparedExecutor, {"id": "1", "first": True})

    assert [e.message for e in errors] == [
        "Variable '$first' has invalid value: Int cannot represent non-integer value: True"
    ]


def test_errors_are_new_objects_on_every_request() -> None:
    for variables, name in [({"id": "1", "first": "x"}, "Feed"), ({}, "Missing"), ({}, None)]:
        once, again = (
            build(PreparedExecutor, variables, name),
            build(PreparedExecutor, variables, name),
        )
        plain = build(CompiledExecutor, variables, name)

        assert [e.message for e in once] == [e.message for e in again] == [e.message for e in plain]
        assert all(isinstance(e, GraphQLError) for e in once)
        assert not {id(e) for e in once} & {id(e) for e in again}


def test_values_that_are_not_plain_scalars_are_coerced_on_every_request() -> None:
    object_variables = parse("query Q($input: AddCommentInput!) { __typename }")
    given = {"input": {"postId": "1", "body": "x"}}
    executors = [
        PreparedExecutor.build(SCHEMA, object_variables, raw_variable_values=given)
        for _ in range(2)
    ]

    assert DOCUMENTS.find((SCHEMA, object_variables), None).keeps_values is False  # type: ignore[union-attr]
    assert executors[0].variable_values is not executors[1].variable_values  # type: ignore[union-attr]
    float_zero = [build(PreparedExecutor, {"id": "1", "first": value}) for value in (0, 0.0)]
    assert float_zero[0].variable_values is not float_zero[1].variable_values


def test_the_values_of_a_mutation_or_a_long_text_are_coerced_on_every_request() -> None:
    mutation = parse("mutation M($id: ID!) { __typename }")
    long_text = {"id": "1", "after": "x" * 300}
    built = [
        PreparedExecutor.build(SCHEMA, mutation, raw_variable_values={"id": "1"}) for _ in range(2)
    ] + [build(PreparedExecutor, long_text) for _ in range(2)]

    assert DOCUMENTS.find((SCHEMA, mutation), None).keeps_values is False  # type: ignore[union-attr]
    assert built[0].variable_values is not built[1].variable_values  # type: ignore[union-attr]
    assert built[2].variable_values is not built[3].variable_values  # type: ignore[union-attr]
