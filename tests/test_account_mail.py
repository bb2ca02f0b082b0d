"""Account flows by e-mail through the API, and what they write: rows in the outbox in the
same transaction as the change, nothing at all for bad input."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tortoise.timezone import now

from models.accounts import Account, AuthToken
from models.mail import AccountToken, MailKind, NotificationPreference, OutboxMessage
from resolvers.outbox import hash_secret
from tests import support
from tests.support import count_statements, gid


async def post(
    api: Any, query: str, variables: dict[str, Any], token: str | None = None, **headers: str
) -> dict[str, Any]:
    if token:
        headers["Authorization"] = f"Bearer {token}"
    response = await api.client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    return response.json()


REGISTER = """mutation($input: RegisterInput!) { register(input: $input) {
  token userErrors { field code message } } }"""
CONFIRM = """mutation($token: String!) { confirmEmail(input: {token: $token}) {
  ok userErrors { field code message } } }"""
RESET = """mutation($token: String!, $password: String!) {
  resetPassword(input: {token: $token, newPassword: $password}) { ok userErrors { field code message } } }"""
CHANGE_EMAIL = """mutation($email: String!, $password: String!) {
  changeEmail(input: {newEmail: $email, currentPassword: $password}) {
    pendingEmail userErrors { field code message } } }"""
CHANGE_PASSWORD = """mutation($current: String!, $new: String!) {
  changePassword(input: {currentPassword: $current, newPassword: $new}) {
    ok userErrors { field code message } } }"""
PREFERENCES = """mutation($input: SetPreferencesInput!) { setPreferences(input: $input) {
  viewer { language notificationPreferences { kind inApp email } }
  userErrors { field code message } } }"""


def registration(world: Any, **changes: str) -> dict[str, Any]:
    return {
        "input": {
            "email": "nadia@example.be",
            "password": "un mot de passe solide",
            "displayName": "Nadia",
            "streetId": gid("Street", world.centre_street.id),
            "houseNumber": "3",
            **changes,
        }
    }


async def test_registration_queues_its_confirmation_with_a_hashed_token(api, world):
    result = await post(api, REGISTER, registration(world), **{"Accept-Language": "en-GB,en;q=0.8"})

    assert result["data"]["register"]["userErrors"] == []
    account = await Account.get(email="nadia@example.be")
    assert (account.language, account.email_confirmed_at) == ("en", None)
    [row] = await OutboxMessage.all()
    assert (row.kind, row.to_address, row.language) == (
        MailKind.CONFIRM_EMAIL,
        "nadia@example.be",
        "en",
    )
    [token] = await AccountToken.all()
    assert token.token_hash == hash_secret(row.params["token"]) != row.params["token"]

    confirmed = await post(api, CONFIRM, {"token": row.params["token"]})
    assert confirmed["data"]["confirmEmail"] == {"ok": True, "userErrors": []}
    assert (await Account.get(id=account.id)).email_confirmed_at is not None
    again = await post(api, CONFIRM, {"token": row.params["token"]})
    assert again["data"]["confirmEmail"]["userErrors"] == [
        {"field": "token", "code": "TOKEN_USED", "message": "Ce lien a déjà servi."}
    ]


async def test_header_injection_and_malformed_addresses_are_refused_and_nothing_is_written(
    api, world
):
    cases = [
        ("nadia@example.be\r\nBcc: all@example.be", "INVALID_CHARACTERS"),
        ("Nadia <nadia@example.be>", "INVALID_EMAIL"),
        ('"na,dia"@example.be', "INVALID_EMAIL"),
        ("nadia@example.be,bob@example.be", "INVALID_EMAIL"),
        ("x" * 250 + "@example.be", "TOO_LONG"),
    ]
    for address, code in cases:
        result = await post(api, REGISTER, registration(world, email=address))
        assert [e["code"] for e in result["data"]["register"]["userErrors"]] == [code], address
    name = await post(api, REGISTER, registration(world, displayName="Nadia\r\nBcc: x@example.be"))
    assert name["data"]["register"]["userErrors"] == [
        {
            "field": "displayName",
            "code": "INVALID_CHARACTERS",
            "message": "Ce texte contient des caractères interdits.",
        }
    ]
    _, staff_token = await support.make_staff(support.Role.CITY_STAFF, "Ville", world.city)
    subject = await post(
        api,
        """mutation($input: PublishAnnouncementInput!) { publishAnnouncement(input: $input) {
          userErrors { field code } } }""",
        {
            "input": {
                "kind": "ALERT",
                "title": "Eau\r\nBcc: x@example.be",
                "body": "…",
                "target": {"scope": "CITY"},
            }
        },
        staff_token,
    )
    assert subject["data"]["publishAnnouncement"]["userErrors"] == [
        {"field": "title", "code": "INVALID_CHARACTERS"}
    ]
    changed = await post(
        api, CHANGE_EMAIL, {"email": "a@b.be\nBcc: c@d.be", "password": "x"}, world.alice_token
    )
    assert [e["code"] for e in changed["data"]["changeEmail"]["userErrors"]] == [
        "INVALID_CHARACTERS"
    ]
    assert await OutboxMessage.all().count() == 0
    assert await AccountToken.all().count() == 0
    assert await Account.filter(email__startswith="nadia").count() == 0


async def test_a_reset_answers_alike_for_any_address_and_mails_only_confirmed_ones(api, world):
    request = "mutation($e: String!) { requestPasswordReset(input: {email: $e}) { ok userErrors { code } } }"
    alice = world.alice
    await Account.all().update(password_hash="argon2-hash")
    for address in ("personne@example.be", alice.email, world.bob.email):
        result = await post(api, request, {"e": address})
        assert result["data"]["requestPasswordReset"] == {"ok": True, "userErrors": []}
    # Unconfirmed addresses get their confirmation again, nothing else.
    rows = await OutboxMessage.all().order_by("id").values_list("kind", "to_address")
    assert rows == [
        (MailKind.CONFIRM_EMAIL, alice.email),
        (MailKind.CONFIRM_EMAIL, world.bob.email),
    ]

    await Account.filter(id=alice.id).update(email_confirmed_at=now())
    await post(api, request, {"e": alice.email.upper()})
    row = await OutboxMessage.get(kind=MailKind.PASSWORD_RESET)
    assert row.to_address == alice.email
    token = await AccountToken.get(token_hash=hash_secret(row.params["token"]))
    assert timedelta(minutes=29) < token.expires_at - now() <= timedelta(minutes=30)


async def test_a_reset_token_that_expired_or_is_forged_changes_nothing(api, world):
    await Account.filter(id=world.alice.id).update(email_confirmed_at=now(), password_hash="h")
    await post(
        api,
        f'mutation {{ requestPasswordReset(input: {{email: "{world.alice.email}"}}) {{ ok }} }}',
        {},
    )
    raw = (await OutboxMessage.get(kind=MailKind.PASSWORD_RESET)).params["token"]

    forged = await post(api, RESET, {"token": raw[:-2] + "xx", "password": "tout nouveau 2027"})
    weak = await post(api, RESET, {"token": raw, "password": "court"})
    await AccountToken.all().update(expires_at=now() - timedelta(seconds=1))
    expired = await post(api, RESET, {"token": raw, "password": "tout nouveau 2027"})

    assert forged["data"]["resetPassword"]["userErrors"][0]["code"] == "INVALID_TOKEN"
    assert weak["data"]["resetPassword"]["userErrors"] == [
        {
            "field": "newPassword",
            "code": "PASSWORD_TOO_SHORT",
            "message": "Le mot de passe doit compter au moins 10 caractères.",
        }
    ]
    assert expired["data"]["resetPassword"]["userErrors"] == [
        {
            "field": "token",
            "code": "TOKEN_EXPIRED",
            "message": "Ce lien a expiré ; demandez-en un nouveau.",
        }
    ]
    assert await AuthToken.filter(account_id=world.alice.id, revoked_at=None).count() == 1


async def test_changing_the_password_needs_the_current_one_and_ends_only_the_other_sessions(
    api, world
):
    from resolvers import passwords, tokens

    await Account.filter(id=world.alice.id).update(
        password_hash=await passwords.hash_password("ancien mot de passe"), email_confirmed_at=now()
    )
    other, _ = await tokens.issue(world.alice, timedelta(hours=1))

    wrong = await post(
        api,
        CHANGE_PASSWORD,
        {"current": "pas le bon", "new": "nouveau mot 2027"},
        world.alice_token,
    )
    assert wrong["data"]["changePassword"]["userErrors"] == [
        {
            "field": "currentPassword",
            "code": "INVALID_CREDENTIALS",
            "message": "Le mot de passe actuel est incorrect.",
        }
    ]
    done = await post(
        api,
        CHANGE_PASSWORD,
        {"current": "ancien mot de passe", "new": "nouveau mot 2027"},
        world.alice_token,
    )

    assert done["data"]["changePassword"] == {"ok": True, "userErrors": []}
    viewer = "{ viewer { displayName } }"
    assert (await post(api, viewer, {}, world.alice_token))["data"]["viewer"] == {
        "displayName": "Alice Dupont"
    }
    assert (await post(api, viewer, {}, other))["data"]["viewer"] is None
    assert await OutboxMessage.all().values_list("kind", flat=True) == [MailKind.PASSWORD_CHANGED]


async def test_a_new_address_is_confirmed_from_itself_and_the_old_one_is_told(api, world):
    from resolvers import passwords

    await Account.filter(id=world.alice.id).update(
        password_hash=await passwords.hash_password("mot de passe actuel"), email_confirmed_at=now()
    )
    old = world.alice.email
    asked = await post(
        api,
        CHANGE_EMAIL,
        {"email": "Alice.New@Example.be", "password": "mot de passe actuel"},
        world.alice_token,
    )

    assert asked["data"]["changeEmail"] == {
        "pendingEmail": "alice.new@example.be",
        "userErrors": [],
    }
    rows = {r.kind: r for r in await OutboxMessage.all()}
    assert rows[MailKind.EMAIL_CHANGE_CONFIRM].to_address == "alice.new@example.be"
    assert rows[MailKind.EMAIL_CHANGE_NOTICE].to_address == old
    assert (await Account.get(id=world.alice.id)).email == old

    await post(api, CONFIRM, {"token": rows[MailKind.EMAIL_CHANGE_CONFIRM].params["token"]})
    assert (await Account.get(id=world.alice.id)).email == "alice.new@example.be"


async def test_preferences_set_the_language_of_messages_and_refuse_an_unknown_one(api, world):
    unknown = await post(api, PREFERENCES, {"input": {"language": "de"}}, world.alice_token)
    assert unknown["data"]["setPreferences"]["userErrors"] == [
        {
            "field": "language",
            "code": "UNKNOWN_LANGUAGE",
            "message": "Langue inconnue : choisissez fr, nl ou en.",
        }
    ]
    chosen = await post(
        api,
        PREFERENCES,
        {"input": {"language": "nl", "email": [{"kind": "CITY_ANNOUNCEMENT", "email": True}]}},
        world.alice_token,
        **{"Accept-Language": "en"},
    )
    assert chosen["data"]["setPreferences"] == {
        "viewer": {
            "language": "nl",
            "notificationPreferences": [
                {"kind": "CITY_ALERT", "inApp": True, "email": True},
                {"kind": "CITY_ANNOUNCEMENT", "inApp": True, "email": True},
                {"kind": "MODERATION", "inApp": True, "email": False},
                {"kind": "EVENT_CHANGED", "inApp": True, "email": False},
                {"kind": "PRIVATE_MESSAGE", "inApp": True, "email": False},
            ],
        },
        "userErrors": [],
    }
    # The account's language now wins over the request's.
    again = await post(
        api,
        PREFERENCES,
        {"input": {"language": "xx"}},
        world.alice_token,
        **{"Accept-Language": "en"},
    )
    assert (
        again["data"]["setPreferences"]["userErrors"][0]["message"]
        == "Onbekende taal: kies fr, nl of en."
    )


async def test_anonymous_calls_speak_the_accept_language_and_french_by_default(api, world):
    query = "mutation { logout { ok } }"
    english = await post(api, query, {}, **{"Accept-Language": "de;q=1, en;q=0.5"})
    french = await post(api, query, {}, **{"Accept-Language": "de"})
    confirm = await post(api, CONFIRM, {"token": "nope"}, **{"Accept-Language": "nl"})

    assert english["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert french["errors"][0]["message"] == "Connectez-vous pour continuer."
    assert english["errors"][0]["message"] != french["errors"][0]["message"]
    assert (
        confirm["data"]["confirmEmail"]["userErrors"][0]["message"] == "Deze link is niet geldig."
    )


async def test_topic_labels_follow_the_callers_language(api, world):
    query = "{ topics { slug label } }"
    await Account.filter(id=world.bob.id).update(language="en")
    labels = {
        t["slug"]: t["label"]
        for t in (await post(api, query, {}, world.bob_token))["data"]["topics"]
    }
    dutch = {
        t["slug"]: t["label"]
        for t in (await post(api, query, {}, world.alice_token, **{"Accept-Language": "nl"}))[
            "data"
        ]["topics"]
    }

    assert labels["entraide"] == "Mutual aid"
    # Alice's account says French: her preference wins over the header.
    assert dutch["entraide"] == "Entraide"


async def test_an_announcement_queues_its_emails_in_one_statement_for_confirmed_opted_in_residents(
    api, world
):
    await Account.filter(id__in=[world.alice.id, world.carla.id]).update(email_confirmed_at=now())
    await NotificationPreference.create(
        account_id=world.carla.id, kind="CITY_ANNOUNCEMENT", email=True
    )
    _, staff_token = await support.make_staff(support.Role.CITY_STAFF, "Ville", world.city)
    publish = """mutation($kind: AnnouncementKind!) { publishAnnouncement(input: {kind: $kind,
      title: "Marché", body: "Samedi.", target: {scope: CITY}}) { userErrors { code } } }"""

    with count_statements() as statements:
        await post(api, publish, {"kind": "ALERT"}, staff_token)
    info = await post(api, publish, {"kind": "INFO"}, staff_token)

    assert info["data"]["publishAnnouncement"]["userErrors"] == []
    inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT INTO OUTBOX_MESSAGE")]
    assert len(inserts) == 1
    rows = await OutboxMessage.all().order_by("id").values_list("account_id", "announcement__kind")
    # Bob's address is unconfirmed; alerts go to whoever did not say no, others on request.
    assert rows == [(world.alice.id, "ALERT"), (world.carla.id, "ALERT"), (world.carla.id, "INFO")]
