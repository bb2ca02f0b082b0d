"""The city's side: announcements targeted and fanned out, consultations, notifications,
and content hidden from city roles while topics and counts stay visible."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tortoise.timezone import now

from models.accounts import Role
from models.city import Announcement, Consultation, ConsultationAnswer, Notification
from resolvers.ids import parse_global_id
from tests.support import (
    count_statements,
    gid,
    make_city,
    make_neighbourhood,
    make_resident,
    make_staff,
    make_street,
    run_contract,
)

ANNOUNCEMENTS = "city/announcements.graphql"
WEB = "web/city.graphql"


@pytest.fixture
async def city_staff(world):
    return (await make_staff(Role.CITY_STAFF, "Service communication", world.city))[1]


@pytest.fixture
async def integration(world):
    return (await make_staff(Role.CITY_INTEGRATION, "Tableau de bord", world.city))[1]


def announcement_input(**overrides):
    values = {
        "kind": "WORKS",
        "title": "Travaux rue Sylvain Guyaux",
        "body": "La rue sera fermée du 2 au 6 décembre.",
        "target": {"scope": "CITY"},
    }
    return {"input": values | overrides}


async def publish(api, token, **overrides):
    result = await run_contract(
        api, ANNOUNCEMENTS, "PublishAnnouncement", announcement_input(**overrides), token
    )
    return result.get("data") and result["data"]["publishAnnouncement"], result


async def test_audience_counts_verified_residents_of_the_target(api, world, city_staff):
    await make_resident(world.centre_street, "Ugo", verified=False)
    # Enough residents that no figure singles anyone out (resolvers/small_counts.py).
    for i in range(3):
        await make_resident(world.centre_street, f"Centre {i}")
    for i in range(4):
        await make_resident(world.haine_street, f"Haine {i}")
    cases = {
        "CITY": {"scope": "CITY"},
        "NEIGHBOURHOODS": {
            "scope": "NEIGHBOURHOODS",
            "neighbourhoodIds": [gid("Neighbourhood", world.haine.id)],
        },
        "STREETS": {"scope": "STREETS", "streetIds": [gid("Street", world.centre_street.id)]},
    }

    counts = {
        name: (
            await run_contract(
                api, ANNOUNCEMENTS, "AnnouncementAudience", {"target": target}, city_staff
            )
        )["data"]
        for name, target in cases.items()
    }

    assert counts == {
        "CITY": {"announcementAudience": {"recipientCount": 10}},
        "NEIGHBOURHOODS": {"announcementAudience": {"recipientCount": 5}},
        "STREETS": {"announcementAudience": {"recipientCount": 5}},
    }


async def test_publishing_fans_out_one_notification_per_recipient(api, world, city_staff):
    target = {
        "scope": "NEIGHBOURHOODS",
        "neighbourhoodIds": [gid("Neighbourhood", world.centre.id)],
    }
    payload, _ = await publish(api, city_staff, target=target)

    assert payload["userErrors"] == []
    announcement = payload["announcement"]
    # Two recipients: published all the same, the figure suppressed.
    assert announcement["recipientCount"] is None
    assert announcement["target"] == {
        "scope": "NEIGHBOURHOODS",
        "neighbourhoods": [
            {"id": gid("Neighbourhood", world.centre.id), "name": "La Louvière centre"}
        ],
        "streets": [],
    }
    assert announcement["consultation"] is None
    notified = await Notification.all().order_by("account_id").values_list("account_id", flat=True)
    assert notified == [world.alice.id, world.bob.id]


async def test_fan_out_is_one_statement_whatever_the_audience(api, world, city_staff):
    for i in range(30):
        await make_resident(world.centre_street, f"Voisin {i}")
    for i in range(4):
        await make_resident(world.haine_street, f"Haine {i}")

    with count_statements() as statements:
        payload, _ = await publish(api, city_staff)

    inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT INTO NOTIFICATION")]
    assert payload["announcement"]["recipientCount"] == 37
    assert len(inserts) == 1
    assert "SELECT" in inserts[0].upper()


@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        ({"target": {"scope": "NEIGHBOURHOODS"}}, [("target.neighbourhoodIds", "EMPTY_TARGET")]),
        ({"target": {"scope": "STREETS", "streetIds": []}}, [("target.streetIds", "EMPTY_TARGET")]),
        (
            {"target": {"scope": "NEIGHBOURHOODS", "neighbourhoodIds": ["xyz"]}},
            [("target.neighbourhoodIds", "INVALID_ID")],
        ),
        ({"title": " "}, [("title", "REQUIRED")]),
        ({"body": "x" * 10_001}, [("body", "TOO_LONG")]),
        (
            {"consultation": {"question": "Zone 30 ?", "options": ["Oui"]}},
            [("consultation.options", "TOO_FEW_OPTIONS")],
        ),
        (
            {"consultation": {"question": "Zone 30 ?", "options": ["Oui", "oui"]}},
            [("consultation.options", "DUPLICATE_OPTION")],
        ),
        (
            {
                "consultation": {
                    "question": "Zone 30 ?",
                    "options": ["Oui", "Non"],
                    "closesAt": "2020-01-01T00:00:00Z",
                }
            },
            [("consultation.closesAt", "CLOSES_IN_PAST")],
        ),
    ],
)
async def test_bad_announcements_are_user_errors_and_write_nothing(
    api, world, city_staff, overrides, errors
):
    payload, _ = await publish(api, city_staff, **overrides)

    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == errors
    assert payload["announcement"] is None
    assert (
        await Announcement.all().count(),
        await Notification.all().count(),
        await Consultation.all().count(),
    ) == (0, 0, 0)


async def test_another_citys_places_are_not_targets(api, world, city_staff):
    namur = await make_city("Namur")
    jambes = await make_neighbourhood(namur, "Jambes")
    street = await make_street(jambes, "Avenue Jean Materne", "5100")

    by_neighbourhood, _ = await publish(
        api,
        city_staff,
        target={"scope": "NEIGHBOURHOODS", "neighbourhoodIds": [gid("Neighbourhood", jambes.id)]},
    )
    by_street, _ = await publish(
        api, city_staff, target={"scope": "STREETS", "streetIds": [gid("Street", street.id)]}
    )
    audience = await run_contract(
        api,
        ANNOUNCEMENTS,
        "AnnouncementAudience",
        {"target": {"scope": "STREETS", "streetIds": [gid("Street", street.id)]}},
        city_staff,
    )

    assert [(e["field"], e["code"]) for e in by_neighbourhood["userErrors"]] == [
        ("target.neighbourhoodIds", "NOT_FOUND")
    ]
    assert [(e["field"], e["code"]) for e in by_street["userErrors"]] == [
        ("target.streetIds", "NOT_FOUND")
    ]
    assert audience["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT"}
    assert await Announcement.all().count() == 0


@pytest.mark.parametrize("who", ["integration", "resident", "moderator"])
async def test_only_city_staff_publish(api, world, integration, moderator_token, who):
    token = {
        "integration": integration,
        "resident": world.alice_token,
        "moderator": moderator_token,
    }[who]

    _, result = await publish(api, token)

    assert result["data"] is None
    assert result["errors"][0]["extensions"] == {"code": "FORBIDDEN"}


async def test_residents_see_the_announcements_aimed_at_them_only(api, world, city_staff):
    await publish(
        api,
        city_staff,
        title="Pour le centre",
        target={
            "scope": "NEIGHBOURHOODS",
            "neighbourhoodIds": [gid("Neighbourhood", world.centre.id)],
        },
    )
    await publish(api, city_staff, title="Pour tous")

    alice = await run_contract(api, WEB, "MyAnnouncements", token=world.alice_token)
    carla = await run_contract(api, WEB, "MyAnnouncements", token=world.carla_token)

    assert [e["node"]["title"] for e in alice["data"]["viewer"]["announcements"]["edges"]] == [
        "Pour tous",
        "Pour le centre",
    ]
    assert [e["node"]["title"] for e in carla["data"]["viewer"]["announcements"]["edges"]] == [
        "Pour tous"
    ]


async def test_notifications_are_listed_counted_and_marked_read(api, world, city_staff):
    for i in range(7):
        await make_resident(world.haine_street, f"Haine {i}")
    for i in range(3):
        await make_resident(world.centre_street, f"Centre {i}")
    first, _ = await publish(api, city_staff, title="Une")
    await publish(api, city_staff, title="Deux")

    before = await run_contract(api, WEB, "Notifications", token=world.alice_token)
    nodes = [e["node"] for e in before["data"]["viewer"]["notifications"]["edges"]]
    one = await run_contract(
        api, WEB, "MarkNotificationsRead", {"input": {"ids": [nodes[1]["id"]]}}, world.alice_token
    )
    city = await run_contract(api, ANNOUNCEMENTS, "CityAnnouncements", token=city_staff)
    everything = await run_contract(
        api, WEB, "MarkNotificationsRead", {"input": {}}, world.alice_token
    )

    assert before["data"]["viewer"]["unreadNotificationCount"] == 2
    assert [(n["kind"], n["read"]) for n in nodes] == [
        ("ANNOUNCEMENT", False),
        ("ANNOUNCEMENT", False),
    ]
    assert nodes[1]["subjectId"] == first["announcement"]["id"]
    assert one == {"data": {"markNotificationsRead": {"unreadNotificationCount": 1}}}
    listed = [e["node"] for e in city["data"]["city"]["announcements"]["edges"]]
    # 13 recipients: one reader is too few to show, and so would be 12 (one unread).
    assert [(a["title"], a["recipientCount"], a["readCount"]) for a in listed] == [
        ("Deux", 13, 0),
        ("Une", 13, None),
    ]
    assert everything == {"data": {"markNotificationsRead": {"unreadNotificationCount": 0}}}


async def test_a_resident_cannot_mark_anothers_notifications(api, world, city_staff):
    await publish(api, city_staff)
    bobs = await Notification.get(account_id=world.bob.id)

    await run_contract(
        api,
        WEB,
        "MarkNotificationsRead",
        {"input": {"ids": [gid("Notification", bobs.id)]}},
        world.alice_token,
    )

    assert (await Notification.get(id=bobs.id)).read_at is None


async def _consultation(api, city_staff, **consultation):
    values = {
        "question": "Faut-il une zone 30 ?",
        "options": ["Oui", "Non", "Sans avis"],
    } | consultation
    payload, _ = await publish(api, city_staff, kind="CONSULTATION", consultation=values)
    return payload["announcement"]["consultation"]


async def answer(api, token, consultation, option):
    result = await run_contract(
        api,
        WEB,
        "AnswerConsultation",
        {"input": {"consultationId": consultation["id"], "optionId": option["id"]}},
        token,
    )
    return result["data"]["answerConsultation"]


async def test_residents_answer_once_and_may_change_their_answer(api, world, city_staff):
    consultation = await _consultation(api, city_staff)
    yes, no, _ = consultation["options"]

    first = await answer(api, world.alice_token, consultation, yes)
    changed = await answer(api, world.alice_token, consultation, no)

    assert first == {
        "consultation": {
            "id": consultation["id"],
            "viewerAnswer": {"id": yes["id"], "label": "Oui"},
        },
        "userErrors": [],
    }
    assert changed["consultation"]["viewerAnswer"] == {"id": no["id"], "label": "Non"}
    assert await ConsultationAnswer.all().count() == 1


async def test_a_closed_consultation_takes_no_answer(api, world, city_staff):
    consultation = await _consultation(
        api, city_staff, closesAt=(now() + timedelta(hours=1)).isoformat()
    )
    await Consultation.all().update(closes_at=now() - timedelta(seconds=1))

    payload = await answer(api, world.alice_token, consultation, consultation["options"][0])

    assert payload["userErrors"] == [
        {
            "field": "consultationId",
            "code": "CONSULTATION_CLOSED",
            "message": "Cette consultation est close.",
        }
    ]
    assert await ConsultationAnswer.all().count() == 0


async def test_only_the_audience_answers(api, world, city_staff):
    target = {
        "scope": "NEIGHBOURHOODS",
        "neighbourhoodIds": [gid("Neighbourhood", world.centre.id)],
    }
    payload, _ = await publish(
        api,
        city_staff,
        target=target,
        consultation={"question": "Zone 30 ?", "options": ["Oui", "Non"]},
    )
    consultation = payload["announcement"]["consultation"]
    _, unverified = await make_resident(world.centre_street, "Ugo", verified=False)

    outsider = await answer(api, world.carla_token, consultation, consultation["options"][0])
    not_verified = await answer(api, unverified, consultation, consultation["options"][0])
    by_city = await run_contract(
        api,
        WEB,
        "AnswerConsultation",
        {
            "input": {
                "consultationId": consultation["id"],
                "optionId": consultation["options"][0]["id"],
            }
        },
        city_staff,
    )

    assert outsider["userErrors"][0]["code"] == "NOT_FOUND"
    assert not_verified["userErrors"][0]["code"] == "NOT_VERIFIED"
    assert by_city["errors"][0]["extensions"] == {"code": "FORBIDDEN"}


async def test_results_suppress_small_counts_for_the_city(api, world, city_staff):
    for i in range(7):
        await make_resident(world.centre_street, f"Centre {i}")
    for i in range(2):
        await make_resident(world.haine_street, f"Haine {i}")
    consultation = await _consultation(api, city_staff)
    yes, no, _ = consultation["options"]
    centre = await Notification.filter(account__neighbourhood_id=world.centre.id).values_list(
        "account_id", flat=True
    )
    haine = await Notification.filter(account__neighbourhood_id=world.haine.id).values_list(
        "account_id", flat=True
    )
    rows = [(a, world.centre.id, yes) for a in centre[:6]] + [
        (a, world.centre.id, no) for a in centre[6:]
    ]
    rows += [(a, world.haine.id, yes) for a in haine]
    await ConsultationAnswer.bulk_create(
        [
            ConsultationAnswer(
                consultation_id=parse_global_id(consultation["id"])[1],
                option_id=parse_global_id(option["id"])[1],
                account_id=account,
                neighbourhood_id=neighbourhood,
                answered_at=now(),
            )
            for account, neighbourhood, option in rows
        ]
    )

    while_open = await run_contract(
        api, ANNOUNCEMENTS, "ConsultationResults", {"id": consultation["id"]}, city_staff
    )
    await Consultation.all().update(closes_at=now() - timedelta(seconds=1))
    result = await run_contract(
        api, ANNOUNCEMENTS, "ConsultationResults", {"id": consultation["id"]}, city_staff
    )

    # Open: totals only. Non (3) is small; Oui (9) hidden too, or 12 - 9 - 0 would give it.
    opened = while_open["data"]["consultation"]
    assert opened["responseCount"] == 12
    assert [(r["option"]["label"], r["count"]) for r in opened["results"]] == [
        ("Oui", None),
        ("Non", None),
        ("Sans avis", 0),
    ]
    assert opened["resultsByNeighbourhood"] == []
    data = result["data"]["consultation"]
    # Closed: centre 6 yes, 3 no; Haine 3 yes, no option reaching 5: hidden whole, zeros
    # included. Sans avis (0) is hidden as well, or it would pin Haine's cell at 0.
    assert data["responseCount"] == 12
    assert [(r["option"]["label"], r["count"], r["suppressed"]) for r in data["results"]] == [
        ("Oui", None, True),
        ("Non", None, True),
        ("Sans avis", None, True),
    ]
    by_place = {
        (r["neighbourhood"]["name"], r["option"]["label"]): r["count"]
        for r in data["resultsByNeighbourhood"]
    }
    assert by_place == {
        ("Haine-Saint-Paul", "Oui"): None,
        ("Haine-Saint-Paul", "Non"): None,
        ("Haine-Saint-Paul", "Sans avis"): None,
        ("La Louvière centre", "Oui"): 6,
        ("La Louvière centre", "Non"): None,
        ("La Louvière centre", "Sans avis"): 0,
        ("Maurage", "Oui"): 0,
        ("Maurage", "Non"): 0,
        ("Maurage", "Sans avis"): 0,
    }


async def test_residents_see_totals_only_once_closed(api, world, city_staff):
    consultation = await _consultation(api, city_staff)
    query = "query($id: ID!) { consultation(id: $id) { responseCount results { count } resultsByNeighbourhood { count } } }"

    open_ = await api(query, {"id": consultation["id"]}, world.alice_token)
    await Consultation.all().update(closes_at=now() - timedelta(seconds=1))
    closed = await api(query, {"id": consultation["id"]}, world.alice_token)

    assert open_ == {
        "data": {
            "consultation": {"responseCount": None, "results": [], "resultsByNeighbourhood": []}
        }
    }
    assert closed == {
        "data": {
            "consultation": {
                "responseCount": 0,
                "results": [{"count": 0}] * 3,
                "resultsByNeighbourhood": [],
            }
        }
    }


async def _posts(api, world):
    create = "web/feed.graphql"
    private = await run_contract(
        api,
        create,
        "CreatePost",
        {
            "input": {
                "kind": "DISCUSSION",
                "title": "Bruit la nuit",
                "body": "Qui entend ?",
                "topicSlugs": ["securite"],
            }
        },
        world.alice_token,
    )
    shared = await run_contract(
        api,
        create,
        "CreatePost",
        {
            "input": {
                "kind": "EVENT",
                "title": "Fête des voisins",
                "body": "Samedi",
                "topicSlugs": ["evenements"],
                "shareWithCity": True,
                "startsAt": "2099-06-20T17:00:00+02:00",
                "place": "Place Maugrétout",
            }
        },
        world.alice_token,
    )
    for post in (private, shared):
        post_id = post["data"]["createPost"]["post"]["id"]
        await run_contract(
            api,
            create,
            "AddComment",
            {"input": {"postId": post_id, "body": "Moi !"}},
            world.bob_token,
        )
        await run_contract(
            api, create, "ToggleReaction", {"input": {"postId": post_id}}, world.bob_token
        )


@pytest.mark.parametrize("role", ["integration", "staff"])
async def test_city_roles_see_topics_and_counts_but_not_what_is_said_unless_shared(
    api, world, integration, city_staff, role
):
    token = {"integration": integration, "staff": city_staff}[role]
    await _posts(api, world)

    result = await run_contract(
        api,
        "city/insights.graphql",
        "CityPostMetadata",
        {"neighbourhoodId": gid("Neighbourhood", world.centre.id)},
        token,
    )

    assert "errors" not in result
    nodes = [e["node"] for e in result["data"]["neighbourhood"]["posts"]["edges"]]
    stripped = [{k: v for k, v in n.items() if k not in ("id", "createdAt")} for n in nodes]
    assert stripped == [
        {
            "kind": "EVENT",
            "sharedWithCity": True,
            "topics": [{"slug": "evenements", "label": "Événements"}],
            "commentCount": 1,
            "reactionCount": 1,
            "title": "Fête des voisins",
            "body": "Samedi",
            "author": {"id": gid("Resident", world.alice.id), "displayName": "Alice Dupont"},
            "comments": {"edges": [{"node": {"id": gid("Comment", 2), "body": "Moi !"}}]},
        },
        {
            "kind": "DISCUSSION",
            "sharedWithCity": False,
            "topics": [{"slug": "securite", "label": "Sécurité"}],
            "commentCount": 1,
            "reactionCount": 1,
            "title": None,
            "body": None,
            "author": None,
            "comments": {"edges": []},
        },
    ]


async def test_city_roles_cannot_write_nor_read_private_things(api, world, integration, city_staff):
    sent = await run_contract(
        api,
        "web/messages.graphql",
        "SendMessage",
        {"input": {"recipientId": gid("Account", world.bob.id), "body": "Salut"}},
        world.alice_token,
    )
    conversation = sent["data"]["sendMessage"]["conversation"]["id"]

    for token in (integration, city_staff):
        post = await run_contract(
            api,
            "web/feed.graphql",
            "CreatePost",
            {"input": {"kind": "DISCUSSION", "title": "x", "body": "y"}},
            token,
        )
        messages = await run_contract(
            api, "web/messages.graphql", "ConversationMessages", {"id": conversation}, token
        )
        letters = await run_contract(
            api, "moderation/verification.graphql", "VerificationLetters", token=token
        )
        assert post["errors"][0]["extensions"] == {"code": "FORBIDDEN"}
        assert messages == {"data": {"conversation": None}}
        assert letters["errors"][0]["extensions"] == {"code": "FORBIDDEN"}


async def test_city_overview_lists_neighbourhoods_with_their_progress(api, world, integration):
    await make_resident(world.maurage_street, "Ugo", verified=False)
    for i in range(5):
        await make_resident(world.haine_street, f"Haine {i}")
    for i in range(4):
        await make_resident(world.haine_street, f"Haine non vérifié {i}", verified=False)
    await make_resident(world.haine_street, "Haine non vérifié 4", verified=False)

    result = await run_contract(api, "city/insights.graphql", "CityOverview", token=integration)

    assert result["data"]["city"]["name"] == "La Louvière"
    assert [
        (
            n["name"],
            n["isActive"],
            n["registeredCount"],
            n["verifiedCount"],
            n["activationThreshold"],
        )
        for n in result["data"]["city"]["neighbourhoods"]
    ] == [
        # 11 registered, 6 verified: both shown (with 10, the 4 unverified would show).
        ("Haine-Saint-Paul", True, 11, 6, 10),
        # 2 and 2, small: null; Maurage's 1 registered too, its 0 verified shown.
        ("La Louvière centre", True, None, None, 10),
        ("Maurage", False, None, 0, 3),
    ]


async def test_residents_cannot_list_the_citys_announcements(api, world):
    result = await run_contract(api, ANNOUNCEMENTS, "CityAnnouncements", token=world.alice_token)

    assert result["errors"][0]["extensions"] == {"code": "FORBIDDEN"}
