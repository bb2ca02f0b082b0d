"""Search against a real uvicorn: French and Dutch word forms and accents, comments, ranking,
pages, the highlighted excerpt, what never matches, who may search, and bad queries."""

from __future__ import annotations

import pytest

from models.accounts import Role
from models.community import Comment, Post
from tests.served import Client, client_fixture, server_fixture
from tests.support import gid, make_resident, make_staff

server = server_fixture()
client = client_fixture()


CREATE = """
mutation($input: CreatePostInput!) { createPost(input: $input) { post { id } userErrors { code } } }
"""
COMMENT = """
mutation($input: AddCommentInput!) { addComment(input: $input) { comment { id } userErrors { code } } }
"""
SEARCH = """
query($id: ID!, $query: String!, $first: Int, $after: String) {
  neighbourhood(id: $id) {
    search(query: $query, first: $first, after: $after) {
      edges { cursor node { post { id title } comment { id body } excerpt { text highlighted } } }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""


async def post(client: Client, token: str, title: str, body: str) -> str:
    values = {"kind": "DISCUSSION", "title": title, "body": body}
    result = await client.gql(CREATE, {"input": values}, token)
    assert result["data"]["createPost"]["userErrors"] == [], result
    return result["data"]["createPost"]["post"]["id"]


async def comment(client: Client, token: str, post_id: str, body: str) -> str:
    result = await client.gql(COMMENT, {"input": {"postId": post_id, "body": body}}, token)
    assert result["data"]["addComment"]["userErrors"] == [], result
    return result["data"]["addComment"]["comment"]["id"]


async def search(client: Client, world, token: str, query: str, **variables) -> dict:
    variables = {"id": gid("Neighbourhood", world.centre.id), "query": query} | variables
    return await client.gql(SEARCH, variables, token)


async def hits(client: Client, world, token: str, query: str) -> list[tuple[str, str | None]]:
    result = await search(client, world, token, query)
    assert "errors" not in result, result
    edges = result["data"]["neighbourhood"]["search"]["edges"]
    return [(e["node"]["post"]["title"], (e["node"]["comment"] or {}).get("body")) for e in edges]


async def test_search_matches_french_word_forms_and_ignores_accents(client, world):
    await post(client, world.alice_token, "Un bon plombier ?", "Qui connaît un plombier fiable ?")
    await post(client, world.alice_token, "Fête à l'école", "Kermesse de l'école communale.")
    await post(client, world.alice_token, "Chats perdus", "Deux chats gris, rue Guyaux.")

    assert await hits(client, world, world.bob_token, "plombiers") == [("Un bon plombier ?", None)]
    assert await hits(client, world, world.bob_token, "ECOLE") == [("Fête à l'école", None)]
    assert await hits(client, world, world.bob_token, "fete ecole") == [("Fête à l'école", None)]
    assert await hits(client, world, world.bob_token, "chat gris") == [("Chats perdus", None)]
    assert await hits(client, world, world.bob_token, "piscine") == []


async def test_search_matches_irregular_french_plurals_both_ways(client, world):
    await post(client, world.alice_token, "Chevaux en liberté", "Trois chevaux rue Keramis.")
    await post(client, world.alice_token, "Journal perdu", "Un journal oublié sur un banc.")

    assert await hits(client, world, world.bob_token, "cheval") == [("Chevaux en liberté", None)]
    assert await hits(client, world, world.bob_token, "journaux") == [("Journal perdu", None)]


async def test_search_matches_dutch_word_forms(client, world):
    await post(client, world.alice_token, "Lamp kapot", "De lamp in de straat brandt niet.")

    assert await hits(client, world, world.bob_token, "lampen") == [("Lamp kapot", None)]


async def test_comments_match_and_come_with_their_post(client, world):
    post_id = await post(client, world.alice_token, "Travaux rue Albert", "Sens unique alterné.")
    await comment(client, world.bob_token, post_id, "Le bus 37 passe par le boulevard Mairaux.")

    assert await hits(client, world, world.alice_token, "boulevard Mairaux") == [
        ("Travaux rue Albert", "Le bus 37 passe par le boulevard Mairaux.")
    ]


async def test_the_best_match_comes_first_and_the_excerpt_highlights_the_words(client, world):
    await post(
        client, world.alice_token, "Réunion de quartier",
        "Ordre du jour : budget, voirie, propreté, fêtes, éclairage, stationnement, et pour "
        "finir quelques mots du jardin.",
    )  # fmt: skip
    await post(
        client, world.alice_token, "Jardin partagé : le compost est prêt",
        "Le compost du jardin partagé est prêt : venez le chercher au jardin samedi.",
    )  # fmt: skip

    ranked = await hits(client, world, world.bob_token, "jardin")
    result = await search(client, world, world.bob_token, "compost")

    assert ranked == [("Jardin partagé : le compost est prêt", None), ("Réunion de quartier", None)]
    [edge] = result["data"]["neighbourhood"]["search"]["edges"]
    excerpt = edge["node"]["excerpt"]
    marked = [f["text"].casefold() for f in excerpt if f["highlighted"]]
    assert marked
    assert set(marked) == {"compost"}
    assert "le compost est prêt" in "".join(f["text"] for f in excerpt)


async def test_search_results_page_by_cursor_without_repeats(client, world):
    for i in range(7):
        await post(client, world.alice_token, f"Vélo numéro {i}", "Un vélo à donner " * (i + 1))

    seen, after = [], None
    while True:
        result = await search(client, world, world.bob_token, "vélo", first=3, after=after)
        page = result["data"]["neighbourhood"]["search"]
        seen += [e["node"]["post"]["title"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    assert sorted(seen) == [f"Vélo numéro {i}" for i in range(7)]


HIDE = """
mutation($input: ModerateInput!) { moderate(input: $input) { userErrors { code } } }
"""
DELETE = """
mutation($input: DeletePostInput!) { deletePost(input: $input) { userErrors { code } } }
"""


async def test_hidden_deleted_and_foreign_content_never_matches(client, world, moderator_token):
    hidden = await post(client, world.alice_token, "Tondeuse à prêter", "Tondeuse électrique.")
    deleted = await post(client, world.alice_token, "Tondeuse cassée", "Qui répare ?")
    kept = await post(client, world.alice_token, "Taille des haies", "Avec ou sans tondeuse.")
    hidden_comment = await comment(client, world.bob_token, kept, "Ma tondeuse est libre.")
    await post(client, world.carla_token, "Tondeuse à Haine", "Dans l'autre quartier.")
    assert len(await hits(client, world, world.alice_token, "tondeuse")) == 5 - 1

    values = {
        "kind": "HIDE_CONTENT",
        "reason": "Hors sujet.",
        "contentIds": [hidden, hidden_comment],
    }
    moderated = await client.gql(HIDE, {"input": values}, moderator_token)
    assert moderated["data"]["moderate"]["userErrors"] == []
    gone = await client.gql(DELETE, {"input": {"postId": deleted}}, world.alice_token)
    assert gone["data"]["deletePost"]["userErrors"] == []

    # Not even for the author or a moderator.
    for token in (world.alice_token, world.bob_token, moderator_token):
        assert await hits(client, world, token, "tondeuse") == [("Taille des haies", None)]
    assert await Post.exclude(deleted_at=None).count() == 1
    assert await Comment.filter(body="Ma tondeuse est libre.").exclude(hidden_at=None).count() == 1


async def test_city_roles_and_unverified_accounts_may_not_search(client, world):
    await post(client, world.alice_token, "Bruit la nuit", "Qui entend ?")
    staff = (await make_staff(Role.CITY_STAFF, "Service communication", world.city))[1]
    integration = (await make_staff(Role.CITY_INTEGRATION, "Tableau de bord", world.city))[1]
    unverified = (await make_resident(world.centre_street, "Ugo Martin", verified=False))[1]

    for token in (staff, integration, unverified):
        result = await search(client, world, token, "bruit")
        assert result["data"]["neighbourhood"]["search"] is None
        assert [e["extensions"]["code"] for e in result["errors"]] == ["FORBIDDEN"]
    elsewhere = await search(client, world, world.carla_token, "bruit")
    assert elsewhere == {"data": {"neighbourhood": None}}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("x" * 10_000, "La recherche dépasse 200 caractères."),
        ("&|!()*:", "La recherche ne contient aucun mot."),
        ("'\" & | ! ( ) * : <-> ^ - + ~ @ {} []", "La recherche ne contient aucun mot."),
        ("", "La recherche ne contient aucun mot."),
        ("a b c d e f g h i", "8 mots au maximum."),
    ],
    ids=["10000-characters", "operators", "more-operators", "empty", "nine-words"],
)
async def test_a_query_too_long_or_without_words_is_bad_input_not_a_database_error(
    client, world, query, message
):
    result = await search(client, world, world.bob_token, query)

    assert result["data"]["neighbourhood"]["search"] is None
    assert [(e["message"], e["extensions"]["code"]) for e in result["errors"]] == [
        (message, "BAD_USER_INPUT")
    ]


async def test_a_nul_byte_in_a_query_is_bad_input_before_anything_runs(client, world):
    result = await search(client, world, world.bob_token, "bruit\x00")

    assert result.get("data") is None
    assert [e["extensions"]["code"] for e in result["errors"]] == ["BAD_USER_INPUT"]


async def test_operators_inside_a_query_are_read_as_spaces(client, world):
    await post(client, world.alice_token, "Bruit la nuit", "Qui entend ?")

    assert await hits(client, world, world.bob_token, 'bruit & !(nuit*):"') == [
        ("Bruit la nuit", None)
    ]


async def test_a_malformed_cursor_is_bad_input(client, world):
    result = await search(client, world, world.bob_token, "bruit", after="bm9wZQ")

    assert [e["extensions"]["code"] for e in result["errors"]] == ["BAD_USER_INPUT"]
