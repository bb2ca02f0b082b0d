"""Events against a real uvicorn: dates and place, bad input, attendance, who sees whom,
the upcoming list, notifications on changes, and the .ics file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar

from models.accounts import Role
from models.city import Notification
from models.events import Event
from tests.served import Client, auth, client_fixture, problem, server_fixture
from tests.support import gid, make_resident, make_staff

server = server_fixture()
client = client_fixture()


def later(days: float, hour: int = 17) -> str:
    moment = datetime.now(UTC) + timedelta(days=days)
    return moment.replace(hour=hour, minute=0, second=0, microsecond=0).isoformat()


CREATE = """
mutation($input: CreatePostInput!) {
  createPost(input: $input) {
    post { id kind startsAt endsAt place placeStreet { name } attendeeCount viewerAttends }
    userErrors { field code message }
  }
}
"""
EVENT = """
query($id: ID!) {
  post(id: $id) {
    id startsAt endsAt place attendeeCount viewerAttends
    attendees { edges { node { id displayName } } }
  }
}
"""
ATTEND = """
mutation($input: AttendEventInput!) {
  attendEvent(input: $input) { post { attendeeCount viewerAttends } userErrors { field code } }
}
"""
LEAVE = """
mutation($input: LeaveEventInput!) {
  leaveEvent(input: $input) { post { attendeeCount viewerAttends } userErrors { field code } }
}
"""


async def create(client: Client, token: str, **values) -> dict:
    values = {
        "kind": "EVENT",
        "title": "Barbecue des voisins",
        "body": "Chacun apporte un plat.",
        "startsAt": later(3),
        "place": "Place Maugrétout",
    } | values
    return (await client.gql(CREATE, {"input": values}, token))["data"]["createPost"]


async def event(client: Client, token: str, **values) -> str:
    created = await create(client, token, **values)
    assert created["userErrors"] == [], created
    return created["post"]["id"]


async def test_an_event_carries_its_dates_and_place(client, world):
    starts, ends = later(3), later(3, hour=23)
    street = gid("Street", world.centre_street.id)

    created = await create(
        client, world.alice_token, startsAt=starts, endsAt=ends, placeStreetId=street
    )

    assert created["userErrors"] == []
    post = created["post"]
    assert post == {
        "id": post["id"],
        "kind": "EVENT",
        "startsAt": starts,
        "endsAt": ends,
        "place": "Place Maugrétout",
        "placeStreet": {"name": "Rue Sylvain Guyaux"},
        "attendeeCount": 0,
        "viewerAttends": False,
    }


@pytest.mark.parametrize(
    ("values", "errors"),
    [
        ({"endsAt": "2099-01-01T10:00:00+00:00", "startsAt": "2099-01-01T12:00:00+00:00"},
         [("endsAt", "EVENT_ENDS_BEFORE_START")]),
        ({"startsAt": None}, [("startsAt", "REQUIRED")]),
        ({"place": "   "}, [("place", "REQUIRED")]),
        ({"startsAt": "2020-01-01T10:00:00+00:00"}, [("startsAt", "EVENT_OVER")]),
        ({"endsAt": "2101-01-01T10:00:00+00:00", "startsAt": "2099-01-01T12:00:00+00:00"},
         [("endsAt", "EVENT_TOO_LONG")]),
        ({"kind": "DISCUSSION"}, [("kind", "NOT_AN_EVENT")]),
        ({"placeStreetId": "HAINE"}, [("placeStreetId", "NOT_FOUND")]),
    ],
    ids=["ends-before-start", "no-start", "no-place", "over", "too-long", "not-an-event",
         "street-elsewhere"],
)  # fmt: skip
async def test_an_event_with_bad_dates_or_place_is_refused_and_nothing_is_written(
    client, world, values, errors
):
    if values.get("placeStreetId") == "HAINE":
        values = {**values, "placeStreetId": gid("Street", world.haine_street.id)}

    created = await create(client, world.alice_token, **values)

    assert created["post"] is None
    assert [(e["field"], e["code"]) for e in created["userErrors"]] == errors
    assert all(e["message"] for e in created["userErrors"])
    assert await Event.all().count() == 0


async def test_neighbours_say_they_come_and_attendees_see_each_others_names(
    client, world, moderator_token
):
    post_id = await event(client, world.alice_token)
    dora, dora_token = await make_resident(world.centre_street, "Dora Lemaire")
    city = (await make_staff(Role.CITY_STAFF, "Service communication", world.city))[1]

    attended = await client.gql(ATTEND, {"input": {"postId": post_id}}, world.bob_token)
    twice = await client.gql(ATTEND, {"input": {"postId": post_id}}, world.bob_token)

    assert attended["data"]["attendEvent"] == {
        "post": {"attendeeCount": 1, "viewerAttends": True},
        "userErrors": [],
    }
    assert twice["data"]["attendEvent"]["post"]["attendeeCount"] == 1
    bob = {"id": gid("Resident", world.bob.id), "displayName": "Bob Lambert"}

    async def seen(token):
        return (await client.gql(EVENT, {"id": post_id}, token))["data"]["post"]

    assert (await seen(world.bob_token))["attendees"]["edges"] == [{"node": bob}]
    # The organiser and moderators see who comes; a neighbour who does not come, nobody.
    assert (await seen(world.alice_token))["attendees"]["edges"] == [{"node": bob}]
    assert (await seen(moderator_token))["attendees"]["edges"] == [{"node": bob}]
    assert (await seen(dora_token))["attendees"] is None
    assert (await seen(dora_token))["attendeeCount"] == 1
    assert (await seen(city)) == {
        "id": post_id, "startsAt": None, "endsAt": None, "place": None, "attendeeCount": None,
        "viewerAttends": False, "attendees": None,
    }  # fmt: skip
    await client.gql(ATTEND, {"input": {"postId": post_id}}, dora_token)
    names = [e["node"]["displayName"] for e in (await seen(dora_token))["attendees"]["edges"]]
    assert names == ["Bob Lambert", "Dora Lemaire"]

    left = await client.gql(LEAVE, {"input": {"postId": post_id}}, world.bob_token)

    assert left["data"]["leaveEvent"] == {
        "post": {"attendeeCount": 1, "viewerAttends": False},
        "userErrors": [],
    }
    assert (await seen(world.bob_token))["attendees"] is None
    assert dora.id != world.bob.id


async def test_attending_what_is_not_a_coming_event_is_refused(client, world):
    created = await client.gql(
        CREATE,
        {"input": {"kind": "DISCUSSION", "title": "Bruit", "body": "La nuit."}},
        world.alice_token,
    )
    discussion = created["data"]["createPost"]["post"]["id"]
    past = await event(client, world.alice_token, startsAt=later(1))
    await Event.all().update(starts_at=datetime.now(UTC) - timedelta(days=1))
    elsewhere = await event(client, world.carla_token)

    async def refused(post_id):
        result = await client.gql(ATTEND, {"input": {"postId": post_id}}, world.bob_token)
        return result["data"]["attendEvent"]["userErrors"]

    assert await refused(discussion) == [{"field": "postId", "code": "NOT_AN_EVENT"}]
    assert await refused(past) == [{"field": "postId", "code": "EVENT_OVER"}]
    assert await refused(elsewhere) == [{"field": "postId", "code": "NOT_FOUND"}]
    assert await refused("bm90LWFuLWlk") == [{"field": "postId", "code": "INVALID_ID"}]


UPCOMING = """
query($id: ID!, $first: Int, $after: String) {
  neighbourhood(id: $id) {
    upcomingEvents(first: $first, after: $after) {
      edges { node { title startsAt } }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""


async def test_the_neighbourhood_lists_its_upcoming_events_soonest_first(client, world):
    for days, title in ((9, "Brocante"), (2, "Barbecue"), (5, "Balade"), (2, "Apéro")):
        await event(client, world.alice_token, title=title, startsAt=later(days))
    await event(client, world.alice_token, title="Passé", startsAt=later(1))
    await Event.filter(post__title="Passé").update(starts_at=datetime.now(UTC) - timedelta(hours=2))
    await event(client, world.carla_token, title="Ailleurs")
    centre = gid("Neighbourhood", world.centre.id)

    titles, after = [], None
    while True:
        variables = {"id": centre, "first": 2, "after": after}
        page = (await client.gql(UPCOMING, variables, world.bob_token))["data"]["neighbourhood"]
        titles += [e["node"]["title"] for e in page["upcomingEvents"]["edges"]]
        if not page["upcomingEvents"]["pageInfo"]["hasNextPage"]:
            break
        after = page["upcomingEvents"]["pageInfo"]["endCursor"]

    assert titles == ["Barbecue", "Apéro", "Balade", "Brocante"]


NOTIFICATIONS = """
{ viewer { notifications { edges { node { kind subjectId } } } } }
"""
EDIT = """
mutation($input: EditPostInput!) {
  editPost(input: $input) { post { id startsAt } userErrors { field code } }
}
"""
DELETE = """
mutation($input: DeletePostInput!) { deletePost(input: $input) { userErrors { code } } }
"""


async def test_attendees_are_notified_when_their_event_is_edited_or_deleted(client, world):
    post_id = await event(client, world.alice_token)
    await client.gql(ATTEND, {"input": {"postId": post_id}}, world.bob_token)
    moved = later(4)

    values = {"postId": post_id, "expectedVersion": 1, "startsAt": moved}
    edited = await client.gql(EDIT, {"input": values}, world.alice_token)
    bad = {"postId": post_id, "expectedVersion": 2, "endsAt": later(2)}
    refused = await client.gql(EDIT, {"input": bad}, world.alice_token)
    deleted = await client.gql(DELETE, {"input": {"postId": post_id}}, world.alice_token)

    assert edited["data"]["editPost"] == {
        "post": {"id": post_id, "startsAt": moved},
        "userErrors": [],
    }
    assert refused["data"]["editPost"]["userErrors"] == [
        {"field": "endsAt", "code": "EVENT_ENDS_BEFORE_START"}
    ]
    assert deleted["data"]["deletePost"]["userErrors"] == []
    inbox = (await client.gql(NOTIFICATIONS, token=world.bob_token))["data"]["viewer"]
    assert [e["node"] for e in inbox["notifications"]["edges"]] == [
        {"kind": "EVENT_CHANGED", "subjectId": post_id},
        {"kind": "EVENT_CHANGED", "subjectId": post_id},
    ]
    assert await Notification.filter(account_id=world.alice.id).count() == 0


async def test_an_event_downloads_as_an_ics_file_for_whoever_may_read_it(client, world):
    starts, ends = later(3), later(3, hour=22)
    post_id = await event(
        client, world.alice_token, startsAt=starts, endsAt=ends,
        placeStreetId=gid("Street", world.centre_street.id),
    )  # fmt: skip
    city = (await make_staff(Role.CITY_STAFF, "Service communication", world.city))[1]
    unverified = (await make_resident(world.centre_street, "Ugo Martin", verified=False))[1]

    response = await client.http.get(f"/events/{post_id}.ics", headers=auth(world.bob_token))

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    [item] = Calendar.from_ical(response.content).walk("VEVENT")
    assert str(item["summary"]) == "Barbecue des voisins"
    assert str(item["description"]) == "Chacun apporte un plat."
    assert str(item["location"]) == "Place Maugrétout, Rue Sylvain Guyaux 7100"
    assert item.decoded("dtstart") == datetime.fromisoformat(starts)
    assert item.decoded("dtend") == datetime.fromisoformat(ends)
    assert str(item["uid"]).startswith(f"{post_id}@")
    for token, expected in (
        (None, (401, "UNAUTHENTICATED")),
        (world.carla_token, (404, "NOT_FOUND")),
        (city, (404, "NOT_FOUND")),
        (unverified, (404, "NOT_FOUND")),
    ):
        refused = await client.http.get(f"/events/{post_id}.ics", headers=auth(token))
        assert problem(refused) == expected
    missing = await client.http.get("/events/nothing.ics", headers=auth(world.bob_token))
    assert problem(missing) == (404, "NOT_FOUND")
