"""topicInsights: counts per neighbourhood, topic and period, small counts suppressed, and the
differencing attacks that would recover them without the rules. Threshold 5 unless told."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone

import httpx
import pytest
from graphql import OperationDefinitionNode, parse, print_ast

from models.accounts import Role
from models.community import Comment, Post, PostKind, PostTopic, Reaction, Topic
from server.app import create_app
from server.settings import Settings
from tests import support
from tests.support import Api, contract_text, count_statements, gid

QUERY = """
query Insights($from: DateTime!, $to: DateTime!, $ids: [ID!], $interval: InsightInterval) {
  topicInsights(from: $from, to: $to, neighbourhoodIds: $ids, interval: $interval) {
    neighbourhood { name } topic { slug } periodStart
    postCount commentCount reactionCount suppressed
  }
}
"""


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def iso(day: date) -> str:
    return at(day, 0).isoformat()


class Feed:
    """Writes posts, comments and reactions at chosen dates, straight into the database."""

    def __init__(self, world) -> None:
        self.world = world
        self.reactors: list = []

    async def topic(self, slug: str, city_id: int) -> Topic:
        return await Topic.get(city_id=city_id, slug=slug)

    async def posts(
        self, day: date, count: int, topics=("mobilite",), hood=None, **fields
    ) -> list[Post]:
        hood = hood or self.world.centre
        rows = []
        for _ in range(count):
            post = await Post.create(
                neighbourhood=hood,
                author=self.world.alice,
                kind=PostKind.DISCUSSION,
                title="Titre",
                body="Corps",
                created_at=at(day),
                **fields,
            )
            for slug in topics:
                await PostTopic.create(post=post, topic=await self.topic(slug, hood.city_id))
            rows.append(post)
        return rows

    async def comments(self, post: Post, day: date, count: int, **fields) -> None:
        for _ in range(count):
            await Comment.create(
                post=post, author=self.world.bob, body="Oui", created_at=at(day), **fields
            )

    async def reactions(self, post: Post, day: date, count: int) -> None:
        while len(self.reactors) < count:
            name = f"Voisin {len(self.reactors)}"
            self.reactors.append((await support.make_resident(self.world.centre_street, name))[0])
        for account in self.reactors[:count]:
            await Reaction.create(post=post, account=account, created_at=at(day))


@pytest.fixture
def feed(world) -> Feed:
    return Feed(world)


@pytest.fixture
async def staff_token(world) -> str:
    return (await support.make_staff(Role.CITY_STAFF, "Service communication", world.city))[1]


async def insights(api, token, start: date, end: date, interval="MONTH", ids=None) -> dict:
    variables = {"from": iso(start), "to": iso(end), "interval": interval, "ids": ids}
    return await api(QUERY, variables, token)


def cells(result, hood="La Louvière centre", topic="mobilite") -> list[tuple]:
    """(periodStart day, posts, comments, reactions, suppressed) of one neighbourhood and topic."""
    return [
        (
            row["periodStart"][:10],
            row["postCount"],
            row["commentCount"],
            row["reactionCount"],
            row["suppressed"],
        )
        for row in result["data"]["topicInsights"]
        if row["neighbourhood"]["name"] == hood and row["topic"]["slug"] == topic
    ]


def posts_of(result, **where) -> list[tuple]:
    return [(c[0], c[1]) for c in cells(result, **where)]


def error_of(result) -> tuple[str, str]:
    assert result["data"] is None
    (error,) = result["errors"]
    return error["extensions"]["code"], error["message"]


# --- the grid -----------------------------------------------------------------------------


async def test_city_staff_gets_every_neighbourhood_topic_and_month_zeros_included(
    api, world, feed, staff_token
):
    await feed.posts(date(2024, 1, 10), 6, hood=world.haine, topics=("travaux",))

    result = await insights(api, staff_token, date(2024, 1, 1), date(2024, 3, 1))

    rows = result["data"]["topicInsights"]
    assert len(rows) == 3 * 8 * 2
    assert [r["neighbourhood"]["name"] for r in rows[::16]] == [
        "Haine-Saint-Paul",
        "La Louvière centre",
        "Maurage",
    ]
    assert cells(result, hood="Haine-Saint-Paul", topic="travaux") == [
        ("2024-01-01", 6, 0, 0, False),
        ("2024-02-01", 0, 0, 0, False),
    ]
    assert cells(result) == [
        ("2024-01-01", 0, 0, 0, False),
        ("2024-02-01", 0, 0, 0, False),
    ]


async def test_the_contract_operation_runs_for_a_city_integration(api, world, feed):
    await feed.posts(date(2024, 1, 10), 5)
    token = (await support.make_staff(Role.CITY_INTEGRATION, "Open data", world.city))[1]
    # Only this operation: its siblings in the document are other issues' work.
    document = parse(contract_text("city/insights.graphql"))
    (operation,) = [
        d
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode) and d.name.value == "TopicInsights"
    ]
    variables = {
        "from": "2024-01-01T00:00:00Z",
        "to": "2024-02-01T00:00:00Z",
        "neighbourhoodIds": [gid("Neighbourhood", world.centre.id)],
    }

    result = await api(print_ast(operation), variables, token)

    assert "errors" not in result
    rows = result["data"]["topicInsights"]
    assert len(rows) == 8
    assert rows[0]["topic"] == {"slug": "entraide", "label": "Entraide"}
    mobilite = next(r for r in rows if r["topic"]["slug"] == "mobilite")
    assert mobilite == {
        "neighbourhood": {
            "id": gid("Neighbourhood", world.centre.id),
            "name": "La Louvière centre",
        },
        "topic": {"slug": "mobilite", "label": "Mobilité"},
        "periodStart": "2024-01-01T00:00:00+00:00",
        "postCount": 5,
        "commentCount": 0,
        "reactionCount": 0,
        "suppressed": False,
    }


async def test_periods_are_aligned_in_utc_and_none_starts_at_the_floored_month(
    api, world, feed, staff_token
):
    ids = [gid("Neighbourhood", world.centre.id)]
    variables = {"ids": ids, "from": "2024-01-10T15:00:00+02:00", "to": "2024-01-17T01:00:00Z"}

    weeks = await api(QUERY, variables | {"interval": "WEEK"}, staff_token)
    whole = await api(QUERY, variables | {"interval": None}, staff_token)
    days = await api(QUERY, variables | {"interval": "DAY"}, staff_token)

    assert [c[0] for c in cells(weeks)] == ["2024-01-08", "2024-01-15"]
    assert [c[0] for c in cells(whole)] == ["2024-01-01"]
    assert [c[0] for c in cells(days)] == [f"2024-01-{d:02}" for d in range(10, 18)]


async def test_counts_come_from_one_grouped_statement(api, world, feed, staff_token):
    for day in range(1, 20):
        await feed.posts(date(2024, 1, day), 1)

    with count_statements() as first:
        await insights(api, staff_token, date(2024, 1, 1), date(2025, 1, 1))
    with count_statements() as statements:
        result = await insights(api, staff_token, date(2024, 1, 1), date(2025, 1, 1))

    assert "errors" not in result
    # The first request froze the ended days, reading the live rows once.
    assert [s for s in first if re.search(r"\bFROM post\b", s)]
    # Later ones read the frozen days alone, in one grouped statement.
    (grouped,) = [s for s in statements if "GROUP BY" in s]
    assert "insight_day" in grouped
    assert not [s for s in statements if re.search(r"\b(post|comment|reaction)\b", s)]


# --- what counts --------------------------------------------------------------------------


async def test_hidden_and_deleted_posts_and_comments_do_not_count(api, world, feed, staff_token):
    day, gone = date(2024, 1, 10), datetime(2024, 2, 1, tzinfo=UTC)
    (post, *_) = await feed.posts(day, 5)
    (hidden_post,) = await feed.posts(day, 1, hidden_at=gone)
    await feed.posts(day, 1, deleted_at=gone)
    await feed.comments(post, day, 5)
    await feed.comments(post, day, 1, hidden_at=gone)
    await feed.comments(post, day, 1, deleted_at=gone)
    # A hidden post takes its comments and reactions with it.
    await feed.comments(hidden_post, day, 2)
    await feed.reactions(post, day, 5)
    await feed.reactions(hidden_post, day, 3)

    result = await insights(api, staff_token, day, day + timedelta(days=1), "DAY")

    assert cells(result) == [("2024-01-10", 5, 5, 5, False)]


async def test_comments_and_reactions_count_on_their_own_day_under_the_post_topics(
    api, world, feed, staff_token
):
    (post,) = await feed.posts(date(2024, 1, 31), 1, topics=("mobilite", "travaux"))
    await feed.comments(post, date(2024, 2, 2), 6)
    await feed.reactions(post, date(2024, 2, 3), 7)

    result = await insights(api, staff_token, date(2024, 1, 1), date(2024, 3, 1))

    for topic in ("mobilite", "travaux"):
        assert cells(result, topic=topic) == [
            ("2024-01-01", None, 0, 0, True),
            ("2024-02-01", 0, 6, 7, False),
        ]


async def test_a_post_with_two_topics_counts_in_both(api, world, feed, staff_token):
    await feed.posts(date(2024, 1, 5), 5, topics=("mobilite", "securite"))

    result = await insights(api, staff_token, date(2024, 1, 1), date(2024, 2, 1))

    assert posts_of(result, topic="mobilite") == [("2024-01-01", 5)]
    assert posts_of(result, topic="securite") == [("2024-01-01", 5)]
    assert posts_of(result, topic="travaux") == [("2024-01-01", 0)]


# --- suppression, each rule with the attack it stops --------------------------------------


async def test_a_small_count_is_null_and_the_row_suppressed(api, world, feed, staff_token):
    await feed.posts(date(2024, 1, 3), 4)
    await feed.posts(date(2024, 1, 4), 5)

    result = await insights(api, staff_token, date(2024, 1, 3), date(2024, 1, 5), "DAY")

    assert cells(result) == [
        ("2024-01-03", None, 0, 0, True),
        ("2024-01-04", 5, 0, 0, False),
    ]


async def test_a_month_with_one_suppressed_day_is_suppressed(api, world, feed, staff_token):
    # Without rule 4: month 13 minus visible days 5 + 5 gives the suppressed day: 3.
    await feed.posts(date(2024, 1, 3), 3)
    await feed.posts(date(2024, 1, 10), 5)
    await feed.posts(date(2024, 1, 20), 5)

    days = await insights(api, staff_token, date(2024, 1, 1), date(2024, 2, 1), "DAY")
    month = await insights(api, staff_token, date(2024, 1, 1), date(2024, 2, 1))

    assert [d for d in posts_of(days) if d[1] != 0] == [
        ("2024-01-03", None),
        ("2024-01-10", 5),
        ("2024-01-20", 5),
    ]
    assert posts_of(month) == [("2024-01-01", None)]


async def test_a_month_whose_suppressed_days_sum_past_the_threshold_is_shown(
    api, world, feed, staff_token
):
    await feed.posts(date(2024, 1, 3), 3)
    await feed.posts(date(2024, 1, 4), 3)
    await feed.posts(date(2024, 1, 20), 5)

    month = await insights(api, staff_token, date(2024, 1, 1), date(2024, 2, 1))

    # 11 - 5 = 6 over two suppressed days: each could be 2, 3 or 4.
    assert posts_of(month) == [("2024-01-01", 11)]


async def test_a_month_whose_suppressed_days_are_all_at_the_maximum_is_suppressed(
    api, world, feed, staff_token
):
    # 8 over two suppressed days would prove both are 4.
    await feed.posts(date(2024, 1, 3), 4)
    await feed.posts(date(2024, 1, 4), 4)

    month = await insights(api, staff_token, date(2024, 1, 1), date(2024, 2, 1))

    assert posts_of(month) == [("2024-01-01", None)]


async def test_a_week_with_a_suppressed_day_is_suppressed(api, world, feed, staff_token):
    # Week of 2024-01-29 crosses into February: without rule 3, week minus the visible days
    # of January and February would give the suppressed day.
    await feed.posts(date(2024, 1, 30), 5)
    await feed.posts(date(2024, 2, 1), 2)
    await feed.posts(date(2024, 2, 6), 6)

    weeks = await insights(api, staff_token, date(2024, 1, 29), date(2024, 2, 12), "WEEK")

    assert posts_of(weeks) == [("2024-01-29", None), ("2024-02-05", 6)]


async def test_a_none_range_over_a_suppressed_month_is_suppressed(api, world, feed, staff_token):
    await feed.posts(date(2024, 1, 10), 6)
    await feed.posts(date(2024, 2, 10), 2)
    await feed.posts(date(2024, 3, 10), 7)

    both = await insights(api, staff_token, date(2024, 1, 1), date(2024, 3, 1), "NONE")
    shown = await insights(api, staff_token, date(2024, 1, 1), date(2024, 2, 1), "NONE")
    march = await insights(api, staff_token, date(2024, 3, 1), date(2024, 4, 1), "NONE")

    assert posts_of(both) == [("2024-01-01", None)]
    assert posts_of(shown) == [("2024-01-01", 6)]
    assert posts_of(march) == [("2024-03-01", 7)]


async def test_prefix_differences_of_none_ranges_never_isolate_a_suppressed_month(
    api, world, feed, staff_token
):
    await feed.posts(date(2024, 1, 10), 6)
    await feed.posts(date(2024, 2, 10), 2)
    await feed.posts(date(2024, 3, 10), 7)
    starts, ends = [date(2024, m, 1) for m in (1, 2, 3)], [date(2024, m, 1) for m in (2, 3, 4)]

    visible = {}
    for start in starts:
        for end in ends:
            if start < end:
                result = await insights(api, staff_token, start, end, "NONE")
                visible[(start.month, end.month - 1)] = posts_of(result)[0][1]

    # Every range holding February is suppressed; the others are sums of visible months.
    assert visible == {
        (1, 1): 6, (1, 2): None, (1, 3): None,
        (2, 2): None, (2, 3): None,
        (3, 3): 7,
    }  # fmt: skip


async def test_a_cell_is_the_same_whatever_the_window_around_it(api, world, feed, staff_token):
    await feed.posts(date(2024, 3, 3), 3)
    await feed.posts(date(2024, 3, 4), 3)
    await feed.posts(date(2024, 5, 4), 2)

    alone = await insights(api, staff_token, date(2024, 3, 1), date(2024, 4, 1))
    inside = await insights(api, staff_token, date(2023, 6, 15), date(2025, 6, 1))

    assert posts_of(alone) == [("2024-03-01", 6)]
    assert ("2024-03-01", 6) in posts_of(inside)
    assert ("2024-05-01", None) in posts_of(inside)


async def test_a_period_not_ended_yet_is_withheld(api, world, feed, staff_token):
    today = datetime.now(UTC).date()
    await feed.posts(today, 6)
    await feed.posts(today - timedelta(days=1), 6)

    days = await insights(
        api, staff_token, today - timedelta(days=1), today + timedelta(days=2), "DAY"
    )

    assert posts_of(days) == [
        ((today - timedelta(days=1)).isoformat(), 6),
        (today.isoformat(), None),
        ((today + timedelta(days=1)).isoformat(), None),
    ]


async def test_the_threshold_comes_from_the_settings(world, feed, staff_token, database_url):
    await feed.posts(date(2024, 1, 3), 3)
    app = create_app(
        Settings(database_url=database_url, suppression_threshold=3), manage_database=False
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://quartier.test") as client:
        result = await insights(Api(client), staff_token, date(2024, 1, 3), date(2024, 1, 4), "DAY")

    assert posts_of(result) == [("2024-01-03", 3)]


# --- who, and bad input -------------------------------------------------------------------


async def test_residents_are_forbidden_and_anonymous_callers_unauthenticated(api, world):
    resident = await insights(api, world.alice_token, date(2024, 1, 1), date(2024, 2, 1))
    anonymous = await insights(api, None, date(2024, 1, 1), date(2024, 2, 1))

    assert error_of(resident)[0] == "FORBIDDEN"
    assert error_of(anonymous)[0] == "UNAUTHENTICATED"


async def test_city_staff_cannot_name_a_neighbourhood_of_another_city(api, world, staff_token):
    other = await support.make_city("Binche")
    elsewhere = await support.make_neighbourhood(other, "Waudrez")

    result = await insights(
        api,
        staff_token,
        date(2024, 1, 1),
        date(2024, 2, 1),
        ids=[gid("Neighbourhood", world.centre.id), gid("Neighbourhood", elsewhere.id)],
    )

    assert error_of(result) == (
        "BAD_USER_INPUT",
        "neighbourhoodIds : quartier inconnu ou d'une autre ville.",
    )


@pytest.mark.parametrize(
    ("start", "end", "interval", "message"),
    [
        (date(2024, 2, 1), date(2024, 1, 1), "MONTH", "to : doit être postérieur à from."),
        (date(2024, 1, 1), date(2024, 1, 1), "DAY", "to : doit être postérieur à from."),
        (
            date(2022, 1, 1),
            date(2024, 1, 2),
            "MONTH",
            "to : la période couvre au plus 2 ans à partir de from.",
        ),
        (
            date(2024, 1, 1),
            date(2024, 4, 4),
            "DAY",
            "interval : DAY couvre au plus 93 jours ; "
            "choisissez un intervalle plus long ou une période plus courte.",
        ),
        (
            date(2024, 1, 1),
            date(2025, 1, 20),
            "WEEK",
            "interval : WEEK couvre au plus 54 semaines ; "
            "choisissez un intervalle plus long ou une période plus courte.",
        ),
    ],
)
async def test_bad_periods_are_refused_with_the_argument_named(
    api, world, staff_token, start, end, interval, message
):
    result = await insights(api, staff_token, start, end, interval)

    assert error_of(result) == ("BAD_USER_INPUT", message)


async def test_the_longest_periods_allowed_are_answered(api, world, staff_token):
    two_years = await insights(api, staff_token, date(2022, 1, 15), date(2024, 1, 15))
    quarter = await insights(api, staff_token, date(2024, 1, 1), date(2024, 4, 3), "DAY")

    assert len(cells(two_years)) == 25
    assert len(cells(quarter)) == 93


async def test_a_moderator_names_neighbourhoods_of_one_city(api, world, feed, moderator_token):
    other = await support.make_city("Binche")
    elsewhere = await support.make_neighbourhood(other, "Waudrez")
    await feed.posts(date(2024, 1, 5), 5, hood=elsewhere)
    centre, waudrez = gid("Neighbourhood", world.centre.id), gid("Neighbourhood", elsewhere.id)

    ok = await insights(api, moderator_token, date(2024, 1, 1), date(2024, 2, 1), ids=[waudrez])
    mixed = await insights(
        api, moderator_token, date(2024, 1, 1), date(2024, 2, 1), ids=[centre, waudrez]
    )
    omitted = await insights(api, moderator_token, date(2024, 1, 1), date(2024, 2, 1))

    assert posts_of(ok, hood="Waudrez") == [("2024-01-01", 5)]
    assert error_of(mixed) == (
        "BAD_USER_INPUT",
        "neighbourhoodIds : des quartiers d'une seule ville par requête.",
    )
    assert error_of(omitted) == (
        "BAD_USER_INPUT",
        "neighbourhoodIds : obligatoire pour un compte sans ville.",
    )


async def test_malformed_and_unknown_neighbourhood_ids_are_refused_alike(api, world, staff_token):
    for ids in (["nope"], [gid("Street", world.centre_street.id)], [gid("Neighbourhood", 999)]):
        result = await insights(api, staff_token, date(2024, 1, 1), date(2024, 2, 1), ids=ids)

        assert error_of(result) == (
            "BAD_USER_INPUT",
            "neighbourhoodIds : quartier inconnu ou d'une autre ville.",
        )


async def test_an_empty_list_of_neighbourhoods_is_refused(api, world, staff_token):
    result = await insights(api, staff_token, date(2024, 1, 1), date(2024, 2, 1), ids=[])

    assert error_of(result) == ("BAD_USER_INPUT", "neighbourhoodIds : aucun quartier.")


async def test_a_day_runs_from_utc_midnight_to_utc_midnight(api, world, feed, staff_token):
    # Stored as UTC text on SQLite, as timestamptz on PostgreSQL: both must cut at 00:00 UTC.
    for moment in (
        datetime(2024, 1, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2024, 2, 1, 1, 0, tzinfo=timezone(timedelta(hours=2))),
        datetime(2024, 2, 1, 0, 0, tzinfo=UTC),
        datetime(2024, 2, 1, 0, 0, 0, 1, tzinfo=UTC),
    ):
        (post,) = await feed.posts(date(2024, 1, 1), 1)
        await Post.filter(id=post.id).update(created_at=moment)
    await feed.posts(date(2024, 1, 31), 3)
    await feed.posts(date(2024, 2, 1), 3)

    both = await insights(api, staff_token, date(2024, 1, 31), date(2024, 2, 2), "DAY")
    february = await insights(api, staff_token, date(2024, 2, 1), date(2024, 2, 2), "DAY")

    assert posts_of(both) == [("2024-01-31", 5), ("2024-02-01", 5)]
    assert posts_of(february) == [("2024-02-01", 5)]
