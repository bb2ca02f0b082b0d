"""Counts of fewer residents than the threshold (5) read from outside their neighbourhood come
back null beside a `...Suppressed` boolean: a neighbourhood's registered and verified
residents, an announcement's audience, recipients and readers. The neighbourhood's own
residents keep their exact progress."""

from __future__ import annotations

from models.accounts import Role
from tests.support import gid, make_resident, make_staff, run_contract

PROGRESS = """
query { streets(search: "deportation") { edges { node { neighbourhood {
  id registeredCount registeredCountSuppressed verifiedCount verifiedCountSuppressed } } } } }
"""
AUDIENCE = """
query($target: AnnouncementTargetInput!) {
  announcementAudience(target: $target) { recipientCount recipientCountSuppressed } }
"""


def _progress(result) -> tuple:
    node = result["data"]["streets"]["edges"][0]["node"]["neighbourhood"]
    return (
        node["registeredCount"],
        node["registeredCountSuppressed"],
        node["verifiedCount"],
        node["verifiedCountSuppressed"],
    )


async def _read_progress(api, world, token):
    return _progress(await api(PROGRESS, {}, token))


async def test_one_persons_sign_up_cannot_be_followed_from_outside(api, world):
    _, city_staff = await make_staff(Role.CITY_STAFF, "Ville", world.city)
    readings = []
    for step in range(3):
        if step == 1:
            await make_resident(world.haine_street, "Hugo", verified=False)
        if step == 2:
            await make_resident(world.haine_street, "Inès")
        readings.append(
            [await _read_progress(api, world, t) for t in (None, city_staff, world.alice_token)]
        )

    # Carla alone, then with Hugo, then Inès: (1, 1), (2, 1), (3, 2), all suppressed.
    assert readings == [[(None, True, None, True)] * 3] * 3


async def test_residents_of_the_neighbourhood_keep_their_progress(api, world):
    _, hugo = await make_resident(world.haine_street, "Hugo", verified=False)

    for token in (world.carla_token, hugo):
        assert await _read_progress(api, world, token) == (2, False, 1, False)


async def test_large_counts_are_shown_but_not_a_small_difference_between_them(api, world):
    _, city_staff = await make_staff(Role.CITY_STAFF, "Ville", world.city)
    for i in range(5):
        await make_resident(world.haine_street, f"Vérifié {i}")
    first = await _read_progress(api, world, city_staff)
    await make_resident(world.haine_street, "Pas encore", verified=False)
    second = await _read_progress(api, world, city_staff)

    # 6 and 6: both shown. 7 and 6: 7 - 6 would count one unverified resident.
    assert first == (6, False, 6, False)
    assert second == (None, True, 6, False)


async def test_an_audience_of_one_street_is_suppressed_as_it_grows(api, world):
    _, city_staff = await make_staff(Role.CITY_STAFF, "Ville", world.city)
    street = {"scope": "STREETS", "streetIds": [gid("Street", world.maurage_street.id)]}

    empty = await api(AUDIENCE, {"target": street}, city_staff)
    await make_resident(world.maurage_street, "Une")
    one = await api(AUDIENCE, {"target": street}, city_staff)

    assert empty == {
        "data": {"announcementAudience": {"recipientCount": 0, "recipientCountSuppressed": False}}
    }
    assert one == {
        "data": {"announcementAudience": {"recipientCount": None, "recipientCountSuppressed": True}}
    }


async def test_a_street_audience_cannot_be_had_as_a_difference(api, world):
    """Two streets of one neighbourhood: the big one shown alone would, subtracted from the
    neighbourhood's visible count, give the small one."""
    from tests.support import make_street

    _, city_staff = await make_staff(Role.CITY_STAFF, "Ville", world.city)
    big = await make_street(world.haine, "Rue Grande")
    for i in range(6):
        await make_resident(big, f"Grande {i}")
    # Carla lives on the other street of Haine, alone.

    both = await api(
        AUDIENCE,
        {
            "target": {
                "scope": "NEIGHBOURHOODS",
                "neighbourhoodIds": [gid("Neighbourhood", world.haine.id)],
            }
        },
        city_staff,
    )
    alone = await api(
        AUDIENCE, {"target": {"scope": "STREETS", "streetIds": [gid("Street", big.id)]}}, city_staff
    )

    assert both["data"]["announcementAudience"]["recipientCount"] == 7
    assert alone["data"]["announcementAudience"] == {
        "recipientCount": None,
        "recipientCountSuppressed": True,
    }


async def test_a_small_announcement_is_published_with_its_figures_suppressed(api, world):
    _, city_staff = await make_staff(Role.CITY_STAFF, "Ville", world.city)
    published = await run_contract(
        api,
        "city/announcements.graphql",
        "PublishAnnouncement",
        {
            "input": {
                "kind": "WORKS",
                "title": "Travaux",
                "body": "Lundi",
                "target": {"scope": "STREETS", "streetIds": [gid("Street", world.haine_street.id)]},
            }
        },
        city_staff,
    )
    await run_contract(
        api, "web/city.graphql", "MarkNotificationsRead", {"input": {}}, world.carla_token
    )
    listed = await api(
        "{ city { announcements { edges { node { recipientCount recipientCountSuppressed"
        " readCount readCountSuppressed } } } } }",
        token=city_staff,
    )

    assert published["data"]["publishAnnouncement"]["userErrors"] == []
    assert listed["data"]["city"]["announcements"]["edges"] == [
        {
            "node": {
                "recipientCount": None,
                "recipientCountSuppressed": True,
                "readCount": None,
                "readCountSuppressed": True,
            }
        }
    ]
