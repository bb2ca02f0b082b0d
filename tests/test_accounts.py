"""Registration, sign-in, tokens and address verification by letter."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tortoise.timezone import now

from models.accounts import Account, AuthToken, LetterStatus, Role, VerificationLetter
from models.geography import Neighbourhood
from resolvers.accounts import format_code
from tests.support import gid, make_resident, make_staff, run_contract

STRONG = "Terril-Bleu-2026"


def register_input(world, **overrides):
    values = {
        "email": "nadia@example.be",
        "password": STRONG,
        "displayName": "Nadia",
        "streetId": gid("Street", world.maurage_street.id),
        "houseNumber": "12 bte 3",
    }
    return {"input": values | overrides}


async def register(api, world, **overrides):
    result = await run_contract(
        api, "web/account.graphql", "Register", register_input(world, **overrides)
    )
    return result["data"]["register"]


async def test_registration_places_the_resident_in_the_street_neighbourhood(api, world):
    payload = await register(api, world)

    assert payload["userErrors"] == []
    assert payload["token"].startswith("qrt_")
    assert payload["viewer"]["displayName"] == "Nadia"
    assert payload["viewer"]["isVerified"] is False
    assert payload["viewer"]["roles"] == ["RESIDENT"]
    assert payload["viewer"]["neighbourhood"] == {
        "id": gid("Neighbourhood", world.maurage.id),
        "name": "Maurage",
        "isActive": False,
        "registeredCount": 1,
        "activationThreshold": 3,
    }
    account = await Account.get(email="nadia@example.be")
    assert account.house_number == "12 bte 3"
    assert account.password_hash.startswith("$argon2id$")
    assert (
        await VerificationLetter.filter(account=account, status=LetterStatus.PENDING).count() == 1
    )


async def test_token_is_stored_only_as_a_hash(api, world):
    payload = await register(api, world)

    stored = await AuthToken.filter(account__email="nadia@example.be").values_list(
        "token_hash", flat=True
    )
    assert payload["token"] not in stored
    assert len(stored) == 1
    assert len(stored[0]) == 64


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"email": "pas-une-adresse"}, "email", "INVALID_EMAIL"),
        ({"email": "   "}, "email", "REQUIRED"),
        ({"password": "court"}, "password", "PASSWORD_TOO_SHORT"),
        ({"password": "password123"}, "password", "PASSWORD_TOO_COMMON"),
        ({"password": "nadia@example.be"}, "password", "PASSWORD_TOO_COMMON"),
        ({"displayName": " \t "}, "displayName", "REQUIRED"),
        ({"displayName": "\u200b\u3164\u2060"}, "displayName", "REQUIRED"),
        ({"displayName": "N" * 81}, "displayName", "TOO_LONG"),
        ({"displayName": "Nadia\x07"}, "displayName", "INVALID_CHARACTERS"),
        ({"displayName": "Nadia\u202e"}, "displayName", "INVALID_CHARACTERS"),
        ({"houseNumber": "douze"}, "houseNumber", "INVALID_HOUSE_NUMBER"),
        ({"streetId": "pas-un-id"}, "streetId", "INVALID_ID"),
        ({"streetId": gid("Post", 1)}, "streetId", "INVALID_ID"),
        ({"streetId": gid("Street", 999_999)}, "streetId", "NOT_FOUND"),
    ],
)
async def test_bad_registration_input_is_a_user_error_and_writes_nothing(
    api, world, overrides, field, code
):
    before = (
        await Account.all().count(),
        await VerificationLetter.all().count(),
        await AuthToken.all().count(),
    )

    payload = await register(api, world, **overrides)

    assert payload["token"] is None
    assert payload["viewer"] is None
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [(field, code)]
    after = (
        await Account.all().count(),
        await VerificationLetter.all().count(),
        await AuthToken.all().count(),
    )
    assert after == before


async def test_duplicate_email_is_refused_whatever_its_case(api, world):
    await register(api, world)

    payload = await register(api, world, email="NADIA@Example.BE")

    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [("email", "EMAIL_TAKEN")]
    assert await Account.filter(email="nadia@example.be").count() == 1


async def test_login_with_a_wrong_password_says_nothing_about_the_email(api, world):
    await register(api, world)
    variables = {"input": {"email": "nadia@example.be", "password": "mauvais-mot-de-passe"}}
    unknown = {"input": {"email": "personne@example.be", "password": STRONG}}

    wrong = await run_contract(api, "web/account.graphql", "Login", variables)
    missing = await run_contract(api, "web/account.graphql", "Login", unknown)

    assert (
        wrong
        == missing
        == {
            "data": {
                "login": {
                    "token": None,
                    "viewer": None,
                    "userErrors": [
                        {
                            "field": None,
                            "code": "INVALID_CREDENTIALS",
                            "message": "Adresse e-mail ou mot de passe incorrect.",
                        }
                    ],
                }
            }
        }
    )


async def test_login_then_logout_revokes_the_token(api, world):
    await register(api, world)
    login = await run_contract(
        api,
        "web/account.graphql",
        "Login",
        {"input": {"email": " Nadia@example.be ", "password": STRONG}},
    )
    token = login["data"]["login"]["token"]

    out = await run_contract(api, "web/account.graphql", "Logout", token=token)
    viewer = await run_contract(api, "web/account.graphql", "Viewer", token=token)

    assert login["data"]["login"]["viewer"]["displayName"] == "Nadia"
    assert out == {"data": {"logout": {"ok": True}}}
    assert viewer == {"data": {"viewer": None}}


async def test_logout_without_a_token_is_unauthenticated(api, world):
    result = await run_contract(api, "web/account.graphql", "Logout")

    assert result["data"] is None
    assert result["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}


async def test_an_expired_token_signs_nobody_in(api, world):
    await AuthToken.filter(account_id=world.alice.id).update(
        expires_at=now() - timedelta(seconds=1)
    )

    result = await run_contract(api, "web/account.graphql", "Viewer", token=world.alice_token)

    assert result == {"data": {"viewer": None}}


async def _letter(account_id: int) -> VerificationLetter:
    return await VerificationLetter.filter(account_id=account_id).order_by("-id").first()


async def verify(api, token, code):
    result = await run_contract(
        api, "web/account.graphql", "VerifyAddress", {"input": {"code": code}}, token
    )
    return result["data"]["verifyAddress"]


async def test_the_right_code_verifies_and_activates_the_neighbourhood_at_its_threshold(api, world):
    residents = [
        await make_resident(world.maurage_street, f"Voisin {i}", verified=False) for i in range(3)
    ]

    for account, token in residents[:2]:
        payload = await verify(api, token, format_code((await _letter(account.id)).code).lower())
        assert payload == {
            "viewer": {"id": gid("Account", account.id), "isVerified": True},
            "userErrors": [],
        }
    assert (await Neighbourhood.get(id=world.maurage.id)).activated_at is None

    account, token = residents[2]
    await verify(api, token, (await _letter(account.id)).code)

    assert (await Neighbourhood.get(id=world.maurage.id)).activated_at is not None
    assert (await _letter(account.id)).status is LetterStatus.USED


async def test_wrong_codes_are_counted_and_the_fifth_locks_the_letter(api, world, moderator_token):
    account, token = await make_resident(world.maurage_street, "Nadia", verified=False)
    code = (await _letter(account.id)).code

    answers = [await verify(api, token, "AAAA-AAAA") for _ in range(5)]
    after_lock = await verify(api, token, code)

    assert [a["userErrors"][0]["code"] for a in answers] == ["INVALID_CODE"] * 4 + ["LETTER_LOCKED"]
    assert answers[0]["userErrors"][0]["message"] == "Code incorrect (4 essai(s) restant(s))."
    assert after_lock["userErrors"][0]["code"] == "LETTER_LOCKED"
    assert (await Account.get(id=account.id)).verified_at is None

    issued = await run_issue_letter(api, moderator_token, gid("Account", account.id))
    new_code = (await _letter(account.id)).code
    payload = await verify(api, token, new_code)

    assert issued["userErrors"] == []
    assert issued["letter"]["status"] == "PENDING"
    assert payload["viewer"]["isVerified"] is True
    statuses = (
        await VerificationLetter.filter(account_id=account.id)
        .order_by("id")
        .values_list("status", flat=True)
    )
    assert statuses == [LetterStatus.REPLACED, LetterStatus.USED]


async def run_issue_letter(api, token, account_id):
    result = await api(
        """mutation($input: IssueVerificationLetterInput!) {
             issueVerificationLetter(input: $input) { letter { id status } userErrors { field code } } }""",
        {"input": {"accountId": account_id}},
        token,
    )
    return result["data"]["issueVerificationLetter"]


async def test_a_verified_resident_cannot_verify_again(api, world):
    payload = await verify(api, world.alice_token, "AAAA-AAAA")

    assert payload["userErrors"][0]["code"] == "ALREADY_VERIFIED"


async def test_staff_list_pending_letters_newest_first_with_the_name_given_at_registration(
    api, world, moderator_token
):
    await make_resident(world.maurage_street, "Nadia Lemaire", verified=False, house_number="4")
    second, _ = await make_resident(
        world.maurage_street, "Omar Haddad", verified=False, house_number="6A"
    )

    result = await run_contract(
        api, "moderation/verification.graphql", "VerificationLetters", token=moderator_token
    )

    nodes = [e["node"] for e in result["data"]["verificationLetters"]["edges"]]
    assert [(n["recipientName"], n["houseNumber"]) for n in nodes] == [
        ("Omar Haddad", "6A"),
        ("Nadia Lemaire", "4"),
    ]
    assert nodes[0]["street"] == {
        "id": gid("Street", world.maurage_street.id),
        "name": "Rue de l'Église",
        "postalCode": "7110",
    }
    assert nodes[0]["code"] == format_code((await _letter(second.id)).code)


@pytest.mark.parametrize(
    ("who", "code"),
    [("anonymous", "UNAUTHENTICATED"), ("resident", "FORBIDDEN"), ("city", "FORBIDDEN")],
)
async def test_only_staff_list_letters(api, world, who, code):
    token = {
        "anonymous": None,
        "resident": world.alice_token,
        "city": (await make_staff(Role.CITY_STAFF, "Ville", world.city))[1],
    }[who]

    result = await run_contract(
        api, "moderation/verification.graphql", "VerificationLetters", token=token
    )

    assert result["data"] is None
    assert [e["extensions"]["code"] for e in result["errors"]] == [code]
