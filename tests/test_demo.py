"""The demo city (`quartier serve --demo`): what it seeds, and that a city developer sees
real figures in its topic insights beside suppressed ones."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from tortoise.functions import Count, Max, Min

from models.accounts import Account, LetterStatus, Role, VerificationLetter
from models.city import Announcement, Notification, TargetScope
from models.community import Comment, Post, Reaction, Topic
from models.geography import City, Neighbourhood
from models.mail import OutboxMessage
from models.moderation import Report
from resolvers import passwords, tokens
from server import demo_data
from server.demo import seed_demo
from server.demo_history import history
from tests import support
from tests.test_cli import FRENCH_TOPICS

ACTIVE = {"La Louvière centre", "Haine-Saint-Paul", "Strépy-Bracquegnies", "Houdeng-Goegnies"}
# A fixed moment makes the generated history, and so the figures, exact.
MOMENT = datetime(2026, 6, 17, 9, 30, tzinfo=UTC)
INSIGHTS = """
query TopicInsights($from: DateTime!, $to: DateTime!, $interval: InsightInterval) {
  topicInsights(from: $from, to: $to, interval: $interval) {
    neighbourhood { name } topic { slug } periodStart
    postCount commentCount reactionCount suppressed
  }
}
"""


async def test_seed_demo_creates_la_louviere_with_active_and_inactive_neighbourhoods():
    assert await seed_demo() is True

    rows = await Neighbourhood.all().order_by("name")
    assert [n.name for n in rows] == sorted(section.name for section in demo_data.SECTIONS)
    assert {n.name for n in rows if n.is_active} == ACTIVE
    assert await Topic.all().order_by("id").values_list("slug", "label") == FRENCH_TOPICS
    assert await VerificationLetter.filter(status=LetterStatus.PENDING).count() == 13
    staff = await Account.filter(role__in=[Role.MODERATOR, Role.CITY_STAFF]).order_by("role")
    assert [(a.email, a.role) for a in staff] == [
        ("ville@demo.quartier.be", Role.CITY_STAFF),
        ("moderation@demo.quartier.be", Role.MODERATOR),
    ]
    assert await passwords.verify_password(staff[1].password_hash, demo_data.PASSWORD)


async def test_the_demo_posts_counts_match_their_comments_and_reactions():
    await seed_demo(MOMENT)

    sizes = {s.name: s.verified for s in demo_data.SECTIONS}
    posts = await Post.all().values_list("id", "comment_count", "reaction_count")
    comments = Counter(await Comment.all().values_list("post_id", flat=True))
    reactions = Counter(await Reaction.all().values_list("post_id", flat=True))
    untagged = await Post.annotate(n=Count("post_topics")).filter(n=0).count()
    assert len(posts) == len(demo_data.POSTS) + len(history(MOMENT, sizes)) == 769
    assert [(c, r) for _, c, r in posts] == [(comments[p], reactions[p]) for p, _, _ in posts]
    assert untagged == 0


async def test_the_demo_history_starts_after_each_neighbourhood_opened_and_ends_before_now():
    await seed_demo(MOMENT)

    for hood in await Neighbourhood.filter(activated_at__isnull=False):
        span = (
            await Post.filter(neighbourhood=hood)
            .annotate(first=Min("created_at"), last=Max("created_at"))
            .first()
            .values("first", "last")
        )
        authors_verified = (
            await Account.filter(posts__neighbourhood=hood)
            .annotate(latest=Max("verified_at"))
            .first()
            .values("latest")
        )
        assert hood.activated_at is not None
        assert hood.activated_at < span["first"], hood.name
        assert authors_verified["latest"] < span["first"], hood.name
        assert span["last"] < MOMENT
    latest = [
        await model.annotate(m=Max("created_at")).first().values_list("m", flat=True)
        for model in (Comment, Reaction)
    ]
    assert all(moment < MOMENT for moment in latest)
    assert await Post.filter(neighbourhood__activated_at__isnull=True).count() == 0


async def test_the_city_sees_real_figures_for_its_busy_topics_and_suppressed_ones_beside(api):
    await seed_demo(MOMENT)
    token = await city_token()
    to = MOMENT.replace(day=1, hour=0, minute=0)
    variables = {"from": to.replace(year=to.year - 1).isoformat(), "to": to.isoformat()}

    whole = (await api(INSIGHTS, variables, token))["data"]["topicInsights"]
    monthly = (await api(INSIGHTS, variables | {"interval": "MONTH"}, token))["data"]

    shown = {
        (r["neighbourhood"]["name"], r["topic"]["slug"]): (
            r["postCount"],
            r["commentCount"],
            r["reactionCount"],
        )
        for r in whole
        if not r["suppressed"] and r["postCount"]
    }
    assert len(whole) == 80
    # Over the twelve ended months: ten busy topics shown, fourteen quieter ones suppressed,
    # and zeros (nothing suppressed) for the topics and neighbourhoods that were silent.
    assert sum(r["suppressed"] for r in whole) == 14
    assert shown == {
        ("Haine-Saint-Paul", "entraide"): (65, 187, 281),
        ("Haine-Saint-Paul", "mobilite"): (46, 151, 194),
        ("Houdeng-Goegnies", "entraide"): (69, 194, 285),
        ("Houdeng-Goegnies", "environnement"): (50, 133, 232),
        ("Houdeng-Goegnies", "objets"): (45, 129, 203),
        ("La Louvière centre", "entraide"): (76, 241, 352),
        ("La Louvière centre", "objets"): (48, 151, 236),
        ("Strépy-Bracquegnies", "entraide"): (44, 121, 201),
        ("Strépy-Bracquegnies", "environnement"): (76, 214, 322),
        ("Strépy-Bracquegnies", "evenements"): (48, 143, 196),
    }
    assert sum(r["suppressed"] for r in monthly["topicInsights"]) == 55


async def test_a_city_alert_in_the_demo_writes_an_email_to_every_resident_it_reaches(api):
    await seed_demo(MOMENT)
    alert = {"kind": "ALERT", "title": "Coupure d'eau", "body": "Demain, 8 h à 12 h."}
    published = await support.run_contract(
        api,
        "city/announcements.graphql",
        "PublishAnnouncement",
        {"input": alert | {"target": {"scope": "CITY"}}},
        await city_token(),
    )

    assert published["data"]["publishAnnouncement"]["userErrors"] == []
    reached = await Account.filter(role=Role.RESIDENT, verified_at__isnull=False).values_list(
        "id", flat=True
    )
    queued = await OutboxMessage.filter(announcement_id__isnull=False).values_list(
        "account_id", flat=True
    )
    # The demo's residents have confirmed addresses and city alerts are on by default.
    assert sorted(queued) == sorted(reached)
    assert len(queued) > 50


async def city_token() -> str:
    raw, _ = await tokens.issue(
        await Account.get(email=demo_data.CITY_STAFF[0]), timedelta(hours=1)
    )
    return raw


async def test_seed_demo_gives_the_city_and_the_moderators_something_to_look_at():
    await seed_demo()

    announcements = await Announcement.all().order_by("id").values_list("scope", "recipient_count")
    centre = await Neighbourhood.get(name="La Louvière centre")
    verified = await Account.filter(role=Role.RESIDENT, verified_at__isnull=False)
    in_centre = [a for a in verified if a.neighbourhood_id == centre.id]
    assert announcements == [
        (TargetScope.CITY, len(verified)),
        (TargetScope.NEIGHBOURHOODS, len(in_centre)),
    ]
    assert await Notification.all().count() == len(verified) + len(in_centre)
    reports = await Report.all()
    assert len(reports) == 2
    assert len({r.content_id for r in reports}) == 1
    assert (await Post.get(id=reports[0].content_id)).hidden_at is None


async def test_seed_demo_is_skipped_on_a_database_that_has_a_city():
    await support.make_city("Binche")

    assert await seed_demo() is False
    assert await City.all().values_list("name", flat=True) == ["Binche"]
    assert await Account.all().count() == 0


def test_the_demo_password_is_accepted_by_the_password_rules():
    assert passwords.weakness(demo_data.PASSWORD) is None
