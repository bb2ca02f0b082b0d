"""Instances read from rows by resolvers/instances.py: the same as Tortoise's executor makes,
attribute by attribute (value, type, time zone, printed form), for every model."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from tortoise import Tortoise, fields
from tortoise.models import Model
from tortoise.timezone import get_default_timezone, now

from models.accounts import Account, AuthToken, Role
from models.community import Comment, Post, PostKind, PostTopic, Reaction, Topic
from models.geography import Neighbourhood
from models.insights import InsightDay
from models.mail import MailKind, OutboxMessage
from models.moderation import ContentType, Report, ReportReason
from resolvers import instances, loaders, statements
from resolvers.tokens import _by_hash
from tests import support


def _state(instance: Any, depth: int = 0) -> list[tuple[str, str, str]]:
    """Every attribute, in order, with its type and its printed form (a datetime's tzinfo and
    isoformat included); related objects in full."""
    state = []
    for name, value in vars(instance).items():
        if isinstance(value, Model) and depth < 3:
            state.append((name, type(value).__name__, repr(_state(value, depth + 1))))
            continue
        shown = repr(value)
        if isinstance(value, datetime):
            shown += f" {value.isoformat()} {value.tzinfo!r}"
        state.append((name, type(value).__qualname__, shown))
    return state


async def _both(query: Any) -> tuple[list[Any], list[Any]]:
    """The query's instances from Tortoise's executor, and from resolvers/instances.py."""
    return list(await query()), await instances.fetch(query())


@pytest.fixture
def exact_readings(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The rows the generated readers hand to their exact reading, recorded."""
    handed: list[Any] = []
    generate = instances._generate

    def recording(*args: Any) -> Any:
        read = generate(*args)
        exact = read.__globals__["exact"]

        def recorded(row: Any) -> Any:
            handed.append(tuple(row))
            return exact(row)

        read.__globals__["exact"] = recorded
        return read

    monkeypatch.setattr(instances, "_readers", {})
    monkeypatch.setattr(instances, "_generate", recording)
    return handed


async def _rows_of_every_kind(world: Any) -> None:
    """Rows with nulls and values in the columns the feed and the other readers use."""
    moment = now().replace(microsecond=123456)
    await Neighbourhood.filter(id=world.centre.id).update(
        activated_at=moment, insights_frozen_until=date(2026, 11, 1)
    )
    await Account.filter(id=world.bob.id).update(
        suspended_at=moment, suspended_until=None, verified_at=None
    )
    await support.make_staff(Role.CITY_INTEGRATION, "Intégration", world.city)
    await support.make_staff(Role.ADMIN, "Admin")  # no city: null foreign keys
    topics = await Topic.filter(city_id=world.city.id).order_by("slug")
    posts = [
        await Post.create(
            neighbourhood_id=world.centre.id,
            author_id=author.id,
            kind=kind,
            title=f"Titre {i}",
            body="Texte\navec « guillemets »",
            share_with_city=i % 2 == 0,
            created_at=moment - timedelta(minutes=i),
            updated_at=moment if i == 1 else None,
            hidden_at=moment if i == 2 else None,
            hidden_reason="Propos" if i == 2 else None,
        )
        for i, (author, kind) in enumerate(
            [(world.alice, PostKind.DISCUSSION), (world.bob, PostKind.EVENT)] * 2
        )
    ]
    # A whole second, no fraction: SQLite keeps it without one.
    posts[3].created_at = moment.replace(microsecond=0)
    await posts[3].save()
    await PostTopic.bulk_create(
        [PostTopic(post_id=p.id, topic_id=t.id) for p in posts[:2] for t in topics[:2]]
    )
    await Reaction.create(post_id=posts[0].id, account_id=world.bob.id)
    for i, author in enumerate([world.alice, world.bob, world.carla]):
        await Comment.create(
            post_id=posts[0].id,
            author_id=author.id,
            body=f"Commentaire {i}",
            created_at=moment + timedelta(seconds=i),
            hidden_at=moment if i == 1 else None,
            hidden_reason="Propos" if i == 1 else None,
        )
    await Report.create(
        reporter_id=world.alice.id,
        content_type=ContentType.POST,
        content_id=posts[1].id,
        reason=ReportReason.SPAM,
        created_at=moment,
    )
    await InsightDay.create(
        neighbourhood_id=world.centre.id, topic_id=topics[0].id, day=date(2026, 10, 31), posts=2
    )
    await OutboxMessage.create(
        kind=MailKind.CONFIRM_EMAIL,
        account_id=world.alice.id,
        language="fr",
        params={"token": "abc", "n": [1, 2.5, None], "é": True},
        next_attempt_at=moment,
        created_at=moment,
    )
    await OutboxMessage.create(
        kind=MailKind.CONFIRM_EMAIL,
        account_id=None,
        language="nl",
        params=None,
        next_attempt_at=moment,
        created_at=moment,
    )


async def test_every_model_reads_as_tortoise_reads_it(world, exact_readings):
    await _rows_of_every_kind(world)
    read = set()
    for model in Tortoise.apps["quartier"].values():
        tortoise, ours = await _both(lambda model=model: model.all().order_by(model._meta.pk_attr))
        assert [_state(i) for i in ours] == [_state(i) for i in tortoise], model.__name__
        # A raw statement's rows, by column name (the loaders' window queries).
        sql = f'SELECT * FROM "{model._meta.db_table}" ORDER BY 1'
        raw = await instances.select(model, sql, [])
        assert [_state(i) for i in raw] == [_state(i) for i in await model.raw(sql)]
        if tortoise:
            read.add(model.__name__)
    # The feed's models, and those with JSON, dates, enums and big integers, had rows.
    assert {
        "Account",
        "AuthToken",
        "City",
        "Neighbourhood",
        "Street",
        "Post",
        "PostTopic",
        "Topic",
        "Reaction",
        "Comment",
        "Report",
        "InsightDay",
        "OutboxMessage",
    } <= read
    # Rows as Tortoise wrote them take the fast reading.
    assert exact_readings == []


@pytest.mark.parametrize(
    "query",
    [
        lambda: PostTopic.all().select_related("topic").order_by("id"),
        lambda: AuthToken.all().select_related("account").order_by("id"),
        # Null foreign keys: the related object is None.
        lambda: Account.all().select_related("city", "neighbourhood").order_by("id"),
        # Two levels: the post's author hangs under the post.
        lambda: PostTopic.all().select_related("post__author", "topic").order_by("id"),
        lambda: OutboxMessage.all().select_related("account__city").order_by("id"),
        lambda: Post.filter(hidden_at=None).order_by("-created_at", "-id").limit(3),
    ],
)
async def test_select_related_reads_as_tortoise_reads_it(world, query, exact_readings):
    await _rows_of_every_kind(world)

    tortoise, ours = await _both(query)

    assert tortoise
    assert [_state(i) for i in ours] == [_state(i) for i in tortoise]
    assert exact_readings == []


async def test_the_loaders_statements_read_what_tortoise_reads(world):
    await _rows_of_every_kind(world)
    post_ids = list(await Post.all().values_list("id", flat=True))
    token_hash = (await AuthToken.get(account_id=world.alice.id)).token_hash
    cases: list[tuple[type[Model], Any, list[Any]]] = [
        (Account, loaders._by_ids(Account), [world.alice.id, world.bob.id, 10**9]),
        (Post, loaders._by_ids(Post), post_ids),
        (PostTopic, loaders._topic_links, post_ids),
        (AuthToken, _by_hash, [token_hash]),
    ]
    for model, build, values in cases:
        prepared = statements.statement(model, build, values)
        db = model._meta.db
        executor = db.executor_class(
            model=model, db=db, select_related_idx=prepared.select_related_idx
        )
        tortoise = await executor.execute_select(prepared.sql, prepared.bind(values))

        ours = await statements.fetch_models(model, build, values)

        assert tortoise
        assert [_state(i) for i in ours] == [_state(i) for i in tortoise]


async def test_a_statement_s_rows_share_the_related_instance_of_one_primary_key(world):
    await _rows_of_every_kind(world)
    post_ids = list(await Post.all().values_list("id", flat=True))

    links = await statements.fetch_models(PostTopic, loaders._topic_links, post_ids)

    by_topic: dict[int, set[int]] = {}
    for link in links:
        by_topic.setdefault(link.topic_id, set()).add(id(link.topic))
    # Two posts with the same two topics: one instance per topic, each its own.
    assert sorted(len(link_ids) for link_ids in by_topic.values()) == [1, 1]
    assert len(links) == 4
    assert len({id(link) for link in links}) == 4


async def test_an_instance_read_from_a_row_saves_and_relates_as_tortoise_s(world):
    await _rows_of_every_kind(world)
    (post,) = await instances.fetch(Post.filter(title="Titre 0"))

    post.title = "Changé"
    await post.save()
    author = await post.author

    assert (await Post.get(id=post.id)).title == "Changé"
    assert author.id == world.alice.id


_STRINGS = [
    "2026-11-30 12:01:02.123456+00:00",
    "2026-11-30 12:01:02+00:00",
    "2026-11-30 12:01:02.5+02:00",
    "2026-11-30 12:01:02.1234567-05:30",
    "2026-11-30 12:01:02",
    "2026-11-30T12:01:02Z",
    "2026-11-30T12:01:02,25+0100",
    "2026-11-30 12:01",
    "2026-11-30 12",
    "2026-11-30",
    "2026-03-29 02:30:00",
    "20261130T120102",
    "2026-1-5 12:00:00",
    "2026-W48-1",
    "2026-334",
    "2026-11-30 24:00:00",
    "2026-11-30 12:01:02+00:00:30",
    "2026-11-31 12:00:00",
    "",
    "x",
]
_VALUES = [
    None,
    datetime(2026, 11, 30, 12, 1, 2, 123456, tzinfo=UTC),
    datetime(2026, 11, 30, 12, 1, 2, tzinfo=timezone(timedelta(hours=2))),
    datetime(2026, 11, 30, 12, 1, 2),
    1_780_000_000,
]


def _outcome(convert: Any, value: Any) -> tuple[str, ...]:
    try:
        result = convert(value)
    except Exception as error:
        return ("raised", type(error).__name__, str(error))
    shown = result.isoformat() if isinstance(result, datetime) else ""
    return (repr(result), shown, repr(getattr(result, "tzinfo", None)))


@pytest.mark.parametrize("use_tz", [True, False])
def test_datetimes_read_as_the_field_reads_them(monkeypatch, use_tz):
    monkeypatch.setattr("tortoise.fields.data.get_use_tz", lambda: use_tz)
    field = fields.DatetimeField(null=True)
    fast = instances.read_datetime(field, use_tz, get_default_timezone())

    for value in [*_STRINGS, *_VALUES]:
        assert _outcome(fast, value) == _outcome(field.to_python_value, value), value


def _post_row(**values: Any) -> tuple[tuple[str, ...], tuple[Any, ...]]:
    """The columns of a Post row and their values, as SQLite returns them, with `values`."""
    row = {
        "id": 7,
        "neighbourhood_id": 1,
        "author_id": 2,
        "kind": "DISCUSSION",
        "title": "Titre",
        "body": "Texte",
        "share_with_city": 1,
        "comment_count": 0,
        "reaction_count": 0,
        "version": 1,
        "created_at": "2026-11-30 12:01:02.123456+00:00",
        "updated_at": None,
        "hidden_at": None,
        "hidden_reason": None,
        "deleted_at": None,
    } | values
    return tuple(row), tuple(row.values())


def _read_both_ways(dialect: str, **values: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A Post row's instance, or the error it raises, from Tortoise and from instances.reader."""
    columns, row = _post_row(**values)
    outcomes = []
    for read in (
        lambda: Post._init_from_db(**dict(zip(columns, row, strict=True))),
        lambda: instances.reader(Post, None, columns, dialect)([row])[0],
    ):
        try:
            outcomes.append(repr(_state(read())))
        except Exception as error:
            outcomes.append(f"raised {type(error).__name__}: {error}")
    return outcomes[0], outcomes[1]


@pytest.mark.parametrize("dialect", ["sqlite", "postgres"])
@pytest.mark.parametrize(
    "values",
    [
        {},
        # Datetimes in forms other than the dialect's driver gives.
        {"created_at": datetime(2026, 11, 30, 12, 1, 2, tzinfo=UTC)},
        {"created_at": datetime(2026, 11, 30, 12, 1, 2, tzinfo=timezone(timedelta(hours=2)))},
        {"created_at": datetime(2026, 11, 30, 12, 1, 2)},
        {"created_at": "2026-11-30 12:01:02"},
        {"created_at": "2026-11-30T12:01:02Z"},
        {"created_at": 1_780_000_000},
        # In the written shape, a day out of range: the field's own error.
        {"hidden_at": "2026-11-31 12:00:00+00:00"},
        {"hidden_at": "x"},
        # Enums: a member's value, a member, no member, a value that has no hash.
        {"kind": "EVENT"},
        {"kind": PostKind.EVENT},
        {"kind": "nothing"},
        {"kind": ["DISCUSSION"]},
        # Booleans as SQLite and PostgreSQL give them, and others.
        {"share_with_city": 0},
        {"share_with_city": True},
        {"share_with_city": 2},
        {"share_with_city": None},
        {"share_with_city": [1]},
    ],
)
def test_a_row_reads_as_tortoise_reads_it_whatever_its_values(dialect, values):
    tortoise, ours = _read_both_ways(dialect, **values)

    assert ours == tortoise
    assert values or not ours.startswith("raised")
