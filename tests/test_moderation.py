"""Moderation: the queue, decisions, auto-hide, the append-only log, suspensions, appeals."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from asyncpg.exceptions import RaiseError
from tortoise import connections
from tortoise.exceptions import OperationalError, TransactionManagementError
from tortoise.timezone import now

from models.accounts import Account, Role
from models.community import Comment, Post
from models.moderation import ModerationAction, Report, ReportStatus
from tests.support import gid, make_resident, make_staff, run_contract

MODERATION = "moderation/moderation.graphql"
FEED = "web/feed.graphql"


async def create_post(api, token, title="Vends voiture", body="Contactez-moi"):
    result = await run_contract(
        api,
        FEED,
        "CreatePost",
        {"input": {"kind": "DISCUSSION", "title": title, "body": body}},
        token,
    )
    return result["data"]["createPost"]["post"]["id"]


async def report(api, token, content_id, reason="SPAM"):
    result = await run_contract(
        api, FEED, "ReportContent", {"input": {"contentId": content_id, "reason": reason}}, token
    )
    return result["data"]["reportContent"]


async def moderate(api, token, **values):
    result = await run_contract(api, MODERATION, "Moderate", {"input": values}, token)
    return result


async def queue(api, token, status="OPEN"):
    result = await run_contract(api, MODERATION, "ReportQueue", {"status": status}, token)
    return [e["node"] for e in result["data"]["reports"]["edges"]]


async def test_reports_are_grouped_per_content_and_the_worst_comes_first(
    api, world, moderator_token
):
    mild = await create_post(api, world.alice_token, "Bruit")
    worse = await create_post(api, world.alice_token, "Insultes")
    _, dora = await make_resident(world.centre_street, "Dora")
    await report(api, world.bob_token, mild)
    await report(api, world.bob_token, worse, "HARASSMENT")
    await report(api, dora, worse, "HATE")

    nodes = await queue(api, moderator_token)

    assert [(n["content"]["title"], n["reportCount"], n["reason"]) for n in nodes] == [
        ("Insultes", 2, "HARASSMENT"),
        ("Bruit", 1, "SPAM"),
    ]
    assert nodes[0]["content"] == {
        "__typename": "Post",
        "id": worse,
        "title": "Insultes",
        "body": "Contactez-moi",
        "hidden": False,
        "author": {"id": gid("Resident", world.alice.id), "displayName": "Alice Dupont"},
    }


async def test_content_reported_by_three_distinct_verified_residents_is_hidden_at_once(
    api, world, moderator_token
):
    post = await create_post(api, world.alice_token)
    _, dora = await make_resident(world.centre_street, "Dora")
    _, ugo = await make_resident(world.centre_street, "Ugo", verified=False)
    _, eve = await make_resident(world.centre_street, "Eve")

    await report(api, world.bob_token, post)
    assert (await report(api, world.bob_token, post))["userErrors"][0]["code"] == "ALREADY_REPORTED"
    # Unverified: the post is out of their reach, so not theirs to report.
    assert (await report(api, ugo, post))["userErrors"][0]["code"] == "NOT_FOUND"
    await report(api, dora, post)
    assert (await Post.get()).hidden_at is None
    await report(api, eve, post)

    row = await Post.get()
    assert row.hidden_at is not None
    # Nothing about how many reported it: with few neighbours, a count names them.
    assert row.hidden_reason == "Masqué en attente de la décision d'un modérateur."
    log = await run_contract(api, MODERATION, "ModerationLog", token=moderator_token)
    [entry] = [e["node"] for e in log["data"]["moderationLog"]["edges"]]
    assert (entry["kind"], entry["subjectId"], entry["moderator"]) == ("HIDE_CONTENT", post, None)
    first = (await queue(api, moderator_token))[0]
    assert (first["content"]["id"], first["content"]["hidden"], first["reportCount"]) == (
        post,
        True,
        3,
    )


async def test_hidden_content_leaves_the_feed_except_for_its_author_and_moderators(
    api, world, moderator_token
):
    post = await create_post(api, world.alice_token)
    comment = await run_contract(
        api, FEED, "AddComment", {"input": {"postId": post, "body": "Arnaque"}}, world.bob_token
    )
    comment_id = comment["data"]["addComment"]["comment"]["id"]

    result = await moderate(
        api,
        moderator_token,
        kind="HIDE_CONTENT",
        reason="Propos injurieux",
        contentIds=[comment_id],
    )

    assert result["data"]["moderate"]["userErrors"] == []
    detail_for_alice = await api(
        "query($id: ID!) { post(id: $id) { commentCount comments { edges { node { id } } } } }",
        {"id": post},
        world.alice_token,
    )
    assert detail_for_alice["data"]["post"] == {"commentCount": 0, "comments": {"edges": []}}
    own = await api(
        "query($id: ID!) { post(id: $id) { comments { edges { node { id hidden hiddenReason } } } } }",
        {"id": post},
        world.bob_token,
    )
    assert own["data"]["post"]["comments"]["edges"] == [
        {"node": {"id": comment_id, "hidden": True, "hiddenReason": "Propos injurieux"}}
    ]
    await moderate(
        api, moderator_token, kind="HIDE_CONTENT", reason="Annonce frauduleuse", contentIds=[post]
    )
    feed_for_bob = await run_contract(
        api,
        FEED,
        "NeighbourhoodFeed",
        {"id": gid("Neighbourhood", world.centre.id)},
        world.bob_token,
    )
    feed_for_alice = await run_contract(
        api,
        FEED,
        "NeighbourhoodFeed",
        {"id": gid("Neighbourhood", world.centre.id)},
        world.alice_token,
    )
    assert feed_for_bob["data"]["neighbourhood"]["posts"]["edges"] == []
    assert [e["node"]["id"] for e in feed_for_alice["data"]["neighbourhood"]["posts"]["edges"]] == [
        post
    ]


async def test_a_bulk_decision_is_all_or_nothing(api, world, moderator_token):
    post = await create_post(api, world.alice_token)

    result = await moderate(
        api,
        moderator_token,
        kind="HIDE_CONTENT",
        reason="Contenu illégal",
        contentIds=[post, gid("Post", 999_999)],
    )

    assert result["data"]["moderate"] == {
        "actions": [],
        "userErrors": [
            {"field": "contentIds", "code": "NOT_FOUND", "message": "Contenu introuvable."}
        ],
    }
    assert (await Post.get()).hidden_at is None
    assert await ModerationAction.all().count() == 0


@pytest.mark.parametrize(
    ("values", "errors"),
    [
        ({"kind": "HIDE_CONTENT", "reason": "Non"}, [("reason", "REASON_TOO_SHORT")]),
        ({"kind": "HIDE_CONTENT", "reason": "Spam évident"}, [("contentIds", "REQUIRED")]),
        ({"kind": "APPEAL_ACCEPTED", "reason": "Spam évident"}, [("kind", "INVALID_KIND")]),
        ({"kind": "SUSPEND_ACCOUNT", "reason": "Harcèlement répété"}, [("accountId", "REQUIRED")]),
        (
            {"kind": "HIDE_CONTENT", "reason": "Spam évident", "reportIds": ["zzz"]},
            [("reportIds", "INVALID_ID")],
        ),
    ],
)
async def test_bad_decisions_are_user_errors_and_write_nothing(
    api, world, moderator_token, values, errors
):
    result = await moderate(api, moderator_token, **values)

    assert [(e["field"], e["code"]) for e in result["data"]["moderate"]["userErrors"]] == errors
    assert await ModerationAction.all().count() == 0


async def test_an_admin_cannot_be_suspended(api, world, moderator_token):
    admin, _ = await make_staff(Role.ADMIN, "Adèle Admin")

    result = await moderate(
        api,
        moderator_token,
        kind="SUSPEND_ACCOUNT",
        reason="Essai interdit",
        accountId=gid("Account", admin.id),
    )

    assert result["data"]["moderate"]["userErrors"][0]["code"] == "CANNOT_SUSPEND_ADMIN"
    assert (await Account.get(id=admin.id)).suspended_at is None


@pytest.mark.parametrize("who", ["resident", "city", "anonymous"])
async def test_moderation_is_for_moderators_only(api, world, who):
    token = {
        "resident": world.alice_token,
        "city": (await make_staff(Role.CITY_STAFF, "Ville", world.city))[1],
        "anonymous": None,
    }[who]
    code = "UNAUTHENTICATED" if token is None else "FORBIDDEN"

    for name, variables in [
        ("ReportQueue", {}),
        ("ModerationLog", {}),
        (
            "Moderate",
            {
                "input": {
                    "kind": "HIDE_CONTENT",
                    "reason": "Spam évident",
                    "contentIds": [gid("Post", 1)],
                }
            },
        ),
    ]:
        result = await run_contract(api, MODERATION, name, variables, token)
        assert result["data"] is None
        assert result["errors"][0]["extensions"] == {"code": code}
    assert await ModerationAction.all().count() == 0


async def test_a_suspension_ends_existing_tokens_at_once_and_reinstating_restores_them(
    api, world, moderator_token
):
    alice = gid("Account", world.alice.id)

    suspended = await moderate(
        api,
        moderator_token,
        kind="SUSPEND_ACCOUNT",
        reason="Harcèlement répété",
        accountId=alice,
        until=(now() + timedelta(days=7)).isoformat(),
    )
    viewer = await run_contract(api, "web/account.graphql", "Viewer", token=world.alice_token)
    post = await run_contract(
        api,
        FEED,
        "CreatePost",
        {"input": {"kind": "DISCUSSION", "title": "x", "body": "y"}},
        world.alice_token,
    )
    await moderate(
        api, moderator_token, kind="REINSTATE_ACCOUNT", reason="Suspension levée", accountId=alice
    )
    back = await run_contract(api, "web/account.graphql", "Viewer", token=world.alice_token)

    assert suspended["data"]["moderate"]["actions"][0]["kind"] == "SUSPEND_ACCOUNT"
    assert viewer == {"data": {"viewer": None}}
    assert post["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
    assert back["data"]["viewer"]["id"] == alice


async def test_a_suspended_account_cannot_sign_in(api, world, moderator_token):
    from resolvers.passwords import hash_password

    await Account.filter(id=world.bob.id).update(
        password_hash=await hash_password("Terril-Bleu-2026")
    )
    await moderate(
        api,
        moderator_token,
        kind="SUSPEND_ACCOUNT",
        reason="Spam répété",
        accountId=gid("Account", world.bob.id),
    )

    result = await run_contract(
        api,
        "web/account.graphql",
        "Login",
        {"input": {"email": world.bob.email, "password": "Terril-Bleu-2026"}},
    )

    assert result["data"]["login"]["userErrors"][0]["code"] == "ACCOUNT_SUSPENDED"


async def test_the_moderation_log_cannot_be_edited_or_deleted(api, world, moderator_token):
    post = await create_post(api, world.alice_token)
    await moderate(
        api, moderator_token, kind="HIDE_CONTENT", reason="Spam évident", contentIds=[post]
    )
    conn = connections.get("default")

    for statement in (
        "UPDATE moderation_action SET reason = 'effacé'",
        "DELETE FROM moderation_action",
    ):
        # Tortoise wraps SQLite's error; asyncpg's RaiseError comes through as it is.
        with pytest.raises(
            (OperationalError, TransactionManagementError, RaiseError), match="append-only"
        ):
            await conn.execute_script(statement)

    assert [a.reason for a in await ModerationAction.all()] == ["Spam évident"]


async def test_no_api_call_edits_the_log(api, world):
    from schema.schemas import build_schema

    mutations = build_schema(production=False)._schema.mutation_type.fields
    # The only mutations that change or remove anything existing are a resident's own post's,
    # comment's and account's (erasure keeps the log, pseudonymised).
    assert {n for n in mutations if re.match(r"(edit|update|delete|remove|erase)", n)} == {
        "editPost",
        "deletePost",
        "deleteComment",
        "deleteAccount",
    }


async def test_the_author_is_notified_with_the_reason_and_may_appeal_once(
    api, world, moderator_token
):
    post = await create_post(api, world.alice_token)
    await moderate(
        api,
        moderator_token,
        kind="HIDE_CONTENT",
        reason="Hors sujet pour le quartier",
        contentIds=[post],
    )

    notices = await api(
        "{ viewer { notifications { edges { node { kind subjectId reason } } } } }",
        token=world.alice_token,
    )
    [notice] = [e["node"] for e in notices["data"]["viewer"]["notifications"]["edges"]]
    appeal = """mutation($input: AppealModerationInput!) { appealModeration(input: $input) {
                  appeal { id status } userErrors { field code } } }"""
    by_bob = await api(
        appeal,
        {"input": {"actionId": notice["subjectId"], "message": "Je conteste"}},
        world.bob_token,
    )
    first = await api(
        appeal,
        {"input": {"actionId": notice["subjectId"], "message": "C'était utile"}},
        world.alice_token,
    )
    again = await api(
        appeal, {"input": {"actionId": notice["subjectId"], "message": "Encore"}}, world.alice_token
    )

    assert (notice["kind"], notice["reason"]) == ("MODERATION", "Hors sujet pour le quartier")
    assert by_bob["data"]["appealModeration"]["userErrors"] == [
        {"field": "actionId", "code": "NOT_FOUND"}
    ]
    assert first["data"]["appealModeration"]["appeal"]["status"] == "OPEN"
    assert again["data"]["appealModeration"]["userErrors"] == [
        {"field": "actionId", "code": "ALREADY_APPEALED"}
    ]

    decided = await api(
        """mutation($input: DecideAppealInput!) { decideAppeal(input: $input) {
             actions { kind subjectId } userErrors { code } } }""",
        {
            "input": {
                "appealId": first["data"]["appealModeration"]["appeal"]["id"],
                "accept": True,
                "reason": "Contenu utile, rétabli",
            }
        },
        moderator_token,
    )

    assert decided["data"]["decideAppeal"] == {
        "actions": [{"kind": "APPEAL_ACCEPTED", "subjectId": post}],
        "userErrors": [],
    }
    assert (await Post.get()).hidden_at is None
    kinds = [a.kind.value for a in await ModerationAction.all().order_by("id")]
    assert kinds == ["HIDE_CONTENT", "APPEAL_ACCEPTED"]


async def test_reporters_stay_unknown_to_the_author(api, world, moderator_token):
    post = await create_post(api, world.alice_token)
    await report(api, world.bob_token, post)

    as_author = await api(
        "query($id: ID!) { post(id: $id) { hidden hiddenReason } }", {"id": post}, world.alice_token
    )
    staff = await api(
        "{ reports { edges { node { reporter { displayName } } } } }", token=moderator_token
    )

    assert as_author == {"data": {"post": {"hidden": False, "hiddenReason": None}}}
    assert staff["data"]["reports"]["edges"][0]["node"]["reporter"] == {
        "displayName": "Bob Lambert"
    }


async def test_dismissing_reports_restores_auto_hidden_content(api, world, moderator_token):
    post = await create_post(api, world.alice_token)
    for i in range(3):
        _, token = await make_resident(world.centre_street, f"Voisin {i}")
        await report(api, token, post)
    [entry] = await queue(api, moderator_token)

    result = await moderate(
        api,
        moderator_token,
        kind="DISMISS_REPORTS",
        reason="Rien d'anormal",
        reportIds=[entry["id"]],
    )

    assert result["data"]["moderate"]["userErrors"] == []
    assert (await Post.get()).hidden_at is None
    assert set(await Report.all().values_list("status", flat=True)) == {ReportStatus.DISMISSED}
    assert await queue(api, moderator_token) == []
    assert len(await queue(api, moderator_token, "DISMISSED")) == 1


async def test_a_message_is_visible_to_moderators_only_once_reported(api, world, moderator_token):
    sent = await run_contract(
        api,
        "web/messages.graphql",
        "SendMessage",
        {"input": {"recipientId": gid("Account", world.bob.id), "body": "Menace"}},
        world.alice_token,
    )
    message = sent["data"]["sendMessage"]["message"]["id"]
    conversation = sent["data"]["sendMessage"]["conversation"]["id"]

    before = await run_contract(
        api, "web/messages.graphql", "ConversationMessages", {"id": conversation}, moderator_token
    )
    await report(api, world.bob_token, message, "HARASSMENT")
    nodes = await queue(api, moderator_token)

    assert before == {"data": {"conversation": None}}
    assert nodes[0]["content"]["__typename"] == "Message"
    assert nodes[0]["content"]["body"] == "Menace"
    assert await Comment.all().count() == 0
