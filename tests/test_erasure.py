"""GDPR: a resident exports everything held about them (GET /me/export, `quartier account
export`) and erases their account (`deleteAccount`, `quartier account delete`): afterwards
none of their strings is left in any text column of any table, listed from the database's
own catalogue, except the messages they sent, which the other participant keeps."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
from tortoise import connections
from tortoise.timezone import now

from models.accounts import Account, Role, VerificationLetter
from models.city import Consultation, ConsultationAnswer
from models.moderation import ModerationAction
from resolvers import passwords
from resolvers.ids import parse_global_id
from server.app import create_app
from server.settings import Settings
from tests.support import Api, gid, make_staff, run_contract
from tests.test_cli import quartier

FEED, ACCOUNT, MESSAGES = "web/feed.graphql", "web/account.graphql", "web/messages.graphql"
PASSWORD = "Terril-Bleu-Quartz-2026!"
EMAIL = "nadia.quartz@example.be"
DELETE = """
mutation($input: DeleteAccountInput!) {
  deleteAccount(input: $input) { deletedAccountId userErrors { field code message } }
}
"""


@dataclass
class Nadia:
    token: str
    pk: int
    strings: list[str]  # what only she wrote or is
    sent: list[str]  # messages she sent: they stay with Bob


async def _ok(api, document, name, variables, token):
    result = await run_contract(api, document, name, variables, token)
    assert "errors" not in result, result
    payload = next(iter(result["data"].values()))
    assert payload.get("userErrors", []) == [], payload
    return payload


async def given_nadia_did_everything(api, world, moderator_token) -> Nadia:
    """Nadia registers and verifies through the API, posts, comments, reacts, writes to Bob and
    hears back, reports Bob's post, answers a consultation, and appeals a moderator hiding
    her comment."""
    registered = await _ok(
        api,
        ACCOUNT,
        "Register",
        {
            "input": {
                "email": EMAIL,
                "password": PASSWORD,
                "displayName": "Nadia Quartzenberg",
                "streetId": gid("Street", world.centre_street.id),
                "houseNumber": "171 bte 9",
            }
        },
        None,
    )
    token, pk = registered["token"], parse_global_id(registered["viewer"]["id"])[1]
    letter = await VerificationLetter.get(account_id=pk)
    await _ok(api, ACCOUNT, "VerifyAddress", {"input": {"code": letter.code}}, token)
    post = await _ok(
        api,
        FEED,
        "CreatePost",
        {"input": {"kind": "ITEM_GIVEAWAY", "title": "Xylophone zinzolin", "body": "Donné !"}},
        token,
    )
    bobs = await _ok(
        api,
        FEED,
        "CreatePost",
        {"input": {"kind": "DISCUSSION", "title": "Bruit", "body": "La nuit"}},
        world.bob_token,
    )
    bob_post = bobs["post"]["id"]
    comment = await _ok(
        api, FEED, "AddComment", {"input": {"postId": bob_post, "body": "Quokka pourpre"}}, token
    )
    await _ok(api, FEED, "ToggleReaction", {"input": {"postId": bob_post}}, token)
    bob_id = gid("Account", world.bob.id)
    await _ok(
        api, MESSAGES, "SendMessage", {"input": {"recipientId": bob_id, "body": "Wombat"}}, token
    )
    await _ok(
        api,
        MESSAGES,
        "SendMessage",
        {"input": {"recipientId": registered["viewer"]["id"], "body": "Réponse de Bob"}},
        world.bob_token,
    )
    await _ok(
        api,
        FEED,
        "ReportContent",
        {"input": {"contentId": bob_post, "reason": "OTHER", "note": "Ornithorynque"}},
        token,
    )
    city_staff = (await make_staff(Role.CITY_STAFF, "Ville", world.city))[1]
    published = await _ok(
        api,
        "city/announcements.graphql",
        "PublishAnnouncement",
        {
            "input": {
                "kind": "CONSULTATION",
                "title": "Zone 30",
                "body": "Votre avis",
                "target": {"scope": "CITY"},
                "consultation": {"question": "Zone 30 ?", "options": ["Oui", "Non"]},
            }
        },
        city_staff,
    )
    consultation = published["announcement"]["consultation"]
    await _ok(
        api,
        "web/city.graphql",
        "AnswerConsultation",
        {
            "input": {
                "consultationId": consultation["id"],
                "optionId": consultation["options"][0]["id"],
            }
        },
        token,
    )
    hidden = await _ok(
        api,
        "moderation/moderation.graphql",
        "Moderate",
        {
            "input": {
                "kind": "HIDE_CONTENT",
                "reason": "Hors sujet ici.",
                "contentIds": [comment["comment"]["id"]],
            }
        },
        moderator_token,
    )
    appeal = await api(
        "mutation($input: AppealModerationInput!) { appealModeration(input: $input) {"
        " appeal { id } userErrors { code } } }",
        {"input": {"actionId": hidden["actions"][0]["id"], "message": "Capybara"}},
        token,
    )
    assert appeal["data"]["appealModeration"]["userErrors"] == []
    strings = [
        EMAIL,
        "Nadia Quartzenberg",
        "171 bte 9",
        letter.code,
        "Xylophone zinzolin",
        "Quokka pourpre",
        "Ornithorynque",
        "Capybara",
    ]
    assert post["post"]["title"] == "Xylophone zinzolin"
    return Nadia(token, pk, strings, ["Wombat"])


async def text_values() -> list[str]:
    """Every value of every text column of every table, from the database's catalogue."""
    conn = connections.get("default")
    if conn.capabilities.dialect == "postgres":
        _, columns = await conn.execute_query(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = 'public'"
            " AND data_type IN ('text', 'character varying', 'character', 'json', 'jsonb')"
        )
        pairs = [(r[0], r[1]) for r in columns]
    else:
        _, tables = await conn.execute_query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
        pairs = []
        for (table,) in tables:
            _, info = await conn.execute_query(f'PRAGMA table_info("{table}")')
            pairs += [
                (table, row[1])
                for row in info
                if any(t in str(row[2]).upper() for t in ("CHAR", "TEXT", "CLOB", "JSON"))
            ]
    assert ("post", "body") in pairs
    assert ("account", "email") in pairs
    values = []
    for table, column in pairs:
        _, rows = await conn.execute_query(f'SELECT "{column}" FROM "{table}"')
        values += [str(row[0]) for row in rows if row[0] is not None]
    return values


async def export_of(api, token) -> tuple[int, str]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await api.client.get("/me/export", headers=headers)
    return response.status_code, response.text


async def test_the_export_holds_everything_and_erasure_leaves_none_of_it(
    api, world, moderator_token
):
    nadia = await given_nadia_did_everything(api, world, moderator_token)
    answers, log = await ConsultationAnswer.all().count(), await ModerationAction.all().count()

    status, exported = await export_of(api, nadia.token)
    erased = await api(DELETE, {"input": {"password": PASSWORD}}, nadia.token)
    after = await text_values()

    assert status == 200
    document = json.loads(exported)
    assert document["account"]["email"] == EMAIL
    assert [s for s in [*nadia.strings, *nadia.sent, "Réponse de Bob"] if s not in exported] == []
    assert erased == {
        "data": {"deleteAccount": {"deletedAccountId": gid("Account", nadia.pk), "userErrors": []}}
    }
    assert [s for s in nadia.strings if any(s in value for value in after)] == []
    # What stays: her message, in Bob's conversation, from a former neighbour; her answer as
    # an anonymous count; the log, pointing to the emptied account.
    assert any("Wombat" in value for value in after)
    assert await ConsultationAnswer.all().count() == answers
    assert await ConsultationAnswer.filter(account_id=nadia.pk).count() == 0
    assert await ModerationAction.all().count() == log
    conversations = await run_contract(api, MESSAGES, "Conversations", {}, world.bob_token)
    [edge] = conversations["data"]["viewer"]["conversations"]["edges"]
    names = {p["displayName"] for p in edge["node"]["participants"]}
    assert names == {"Bob Lambert", "Ancien voisin"}


async def test_the_old_token_stops_working_and_the_email_may_register_again(
    api, world, moderator_token
):
    nadia = await given_nadia_did_everything(api, world, moderator_token)
    await api(DELETE, {"input": {"password": PASSWORD}}, nadia.token)

    status, _ = await export_of(api, nadia.token)
    again = await api(DELETE, {"input": {"password": PASSWORD}}, nadia.token)
    registered = await run_contract(
        api,
        ACCOUNT,
        "Register",
        {
            "input": {
                "email": EMAIL,
                "password": PASSWORD,
                "displayName": "Nadia",
                "streetId": gid("Street", world.centre_street.id),
                "houseNumber": "3",
            }
        },
    )

    assert status == 401
    assert again["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
    assert registered["data"]["register"]["userErrors"] == []


async def test_a_wrong_password_erases_nothing(api, world, moderator_token):
    nadia = await given_nadia_did_everything(api, world, moderator_token)
    before = sorted(await text_values())

    refused = await api(DELETE, {"input": {"password": "pas le mien du tout"}}, nadia.token)

    assert refused == {
        "data": {
            "deleteAccount": {
                "deletedAccountId": None,
                "userErrors": [
                    {
                        "field": "password",
                        "code": "WRONG_PASSWORD",
                        "message": "Mot de passe incorrect.",
                    }
                ],
            }
        }
    }
    assert sorted(await text_values()) == before
    assert (await Account.get(id=nadia.pk)).erased_at is None


async def test_anonymous_callers_and_token_accounts_cannot_erase(api, world):
    integration = (await make_staff(Role.CITY_INTEGRATION, "Tableau", world.city))[1]

    anonymous = await api(DELETE, {"input": {"password": PASSWORD}})
    by_token = await api(DELETE, {"input": {"password": PASSWORD}}, integration)

    assert anonymous["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
    assert by_token["data"]["deleteAccount"]["userErrors"][0]["code"] == "NO_PASSWORD"


async def test_an_anonymous_export_is_refused_and_a_city_account_exports_its_own(api, world):
    _, city_staff = await make_staff(Role.CITY_STAFF, "Service communication", world.city)

    anonymous = await export_of(api, None)
    own = await export_of(api, city_staff)

    assert anonymous == (
        401,
        '{"errors":[{"message":"Connectez-vous pour continuer.",'
        '"extensions":{"code":"UNAUTHENTICATED"}}]}',
    )
    assert own[0] == 200
    assert json.loads(own[1])["account"]["displayName"] == "Service communication"


async def test_the_operator_exports_and_erases_by_email(database_url, world, api, moderator_token):
    nadia = await given_nadia_did_everything(api, world, moderator_token)

    refused = await quartier(database_url, "account", "delete", EMAIL)
    exported = await quartier(database_url, "account", "export", EMAIL)
    erased = await quartier(database_url, "account", "delete", EMAIL, "--yes")
    missing = await quartier(database_url, "account", "export", EMAIL)

    assert (refused.code, refused.err) == (
        1,
        "quartier: erasure cannot be undone: add --yes to confirm\n",
    )
    assert exported.code == 0
    assert json.loads(exported.out)["account"]["id"] == nadia.pk
    assert [s for s in nadia.strings if s not in exported.out] == []
    assert erased.code == 0
    assert [s for s in nadia.strings if any(s in value for value in await text_values())] == []
    assert (missing.code, missing.err) == (1, f"quartier: no account with email '{EMAIL}'\n")


async def test_a_deleted_post_and_comment_leave_no_words(api, world):
    post = await _ok(
        api,
        FEED,
        "CreatePost",
        {"input": {"kind": "DISCUSSION", "title": "Lamantin", "body": "Narval"}},
        world.alice_token,
    )
    comment, other = [
        await _ok(
            api,
            FEED,
            "AddComment",
            {"input": {"postId": post["post"]["id"], "body": b}},
            world.bob_token,
        )
        for b in ("Axolotl", "Pangolin")
    ]
    delete = (
        "mutation($input: DeleteCommentInput!) { deleteComment(input: $input) {"
        " deletedCommentId post { commentCount } userErrors { code } } }"
    )
    deleted_comment = await api(
        delete, {"input": {"commentId": comment["comment"]["id"]}}, world.bob_token
    )
    not_hers = await api(
        delete, {"input": {"commentId": other["comment"]["id"]}}, world.alice_token
    )
    words = await text_values()
    await _ok(api, FEED, "DeletePost", {"input": {"postId": post["post"]["id"]}}, world.alice_token)
    after = await text_values()

    assert deleted_comment["data"]["deleteComment"]["post"] == {"commentCount": 1}
    assert not_hers["errors"][0]["extensions"] == {"code": "FORBIDDEN"}
    assert [w for w in ("Axolotl",) if any(w in v for v in words)] == []
    assert [w for w in ("Lamantin", "Narval", "Pangolin") if any(w in v for v in after)] == []


async def test_hidden_content_loses_its_words_after_the_retention(
    api, world, moderator_token, database_url
):
    post = await _ok(
        api,
        FEED,
        "CreatePost",
        {"input": {"kind": "DISCUSSION", "title": "Okapi", "body": "Tapir"}},
        world.alice_token,
    )
    await _ok(
        api,
        "moderation/moderation.graphql",
        "Moderate",
        {
            "input": {
                "kind": "HIDE_CONTENT",
                "reason": "Hors sujet.",
                "contentIds": [post["post"]["id"]],
            }
        },
        moderator_token,
    )
    from resolvers.purge import purge_hidden

    kept = await purge_hidden(90)
    purged = await purge_hidden(90, now() + timedelta(days=91))
    again = await quartier(database_url, "content", "purge", "--days", "0")

    assert (kept, purged) == (0, 1)
    assert [w for w in ("Okapi", "Tapir") if any(w in v for v in await text_values())] == []
    assert (again.code, again.out) == (
        0,
        "Purged the words of 0 hidden contents decided more than 0 days ago.\n",
    )


async def test_content_awaiting_a_decision_or_under_appeal_keeps_its_words(
    api, world, moderator_token
):
    nadia = await given_nadia_did_everything(api, world, moderator_token)
    from resolvers.purge import purge_hidden

    # Her comment was hidden by a moderator and she appealed: it waits for the appeal.
    purged = await purge_hidden(90, now() + timedelta(days=365))

    assert purged == 0
    assert any("Quokka pourpre" in v for v in await text_values())
    assert nadia.pk > 0


async def test_closed_consultation_results_survive_an_erasure(api, world, moderator_token):
    nadia = await given_nadia_did_everything(api, world, moderator_token)
    await Consultation.all().update(closes_at=now() - timedelta(seconds=1))

    await api(DELETE, {"input": {"password": PASSWORD}}, nadia.token)

    assert await ConsultationAnswer.filter(account_id=None).count() == 1


@pytest.fixture
async def strict_api(database_url):
    """The app with the password and export limits down to two and one."""
    limits = (("password.account", 2, 900), ("export.account", 1, 3600))
    app = create_app(Settings(database_url=database_url, rate_limits=limits), manage_database=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://quartier.test") as client:
        yield Api(client)


async def test_a_session_cannot_be_used_to_guess_the_password(strict_api, world):
    await Account.filter(id=world.alice.id).update(
        password_hash=await passwords.hash_password(PASSWORD)
    )
    wrong = {"input": {"password": "pas le mien du tout"}}

    first = await strict_api(DELETE, wrong, world.alice_token)
    second = await strict_api(DELETE, wrong, world.alice_token)
    right_but_late = await strict_api(DELETE, {"input": {"password": PASSWORD}}, world.alice_token)

    codes = [
        r["data"]["deleteAccount"]["userErrors"][0]["code"] for r in (first, second, right_but_late)
    ]
    assert codes == ["WRONG_PASSWORD", "WRONG_PASSWORD", "RATE_LIMITED"]
    assert (await Account.get(id=world.alice.id)).erased_at is None


async def test_exports_are_throttled_with_a_retry_after_in_the_account_language(strict_api, world):
    await Account.filter(id=world.alice.id).update(language="en")
    first = await export_of(strict_api, world.alice_token)
    response = await strict_api.client.get(
        "/me/export",
        headers={"Authorization": f"Bearer {world.alice_token}"},
    )

    assert first[0] == 200
    assert response.status_code == 429
    assert 3500 <= int(response.headers["retry-after"]) <= 3600
    assert response.json()["errors"][0]["extensions"] == {"code": "RATE_LIMITED"}
    assert response.json()["errors"][0]["message"].startswith("Too many attempts")
