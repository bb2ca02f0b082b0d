"""Per-request DataLoaders, one class per access path, values in key order, None for misses.

Built in the request's context, never at import time: a loader's cache is the caller's own.
"""

from __future__ import annotations

import asyncio
import inspect
from collections import defaultdict
from collections.abc import Callable, Iterable
from functools import cache
from operator import attrgetter
from typing import Any, Generic, TypeVar, overload

import aiodataloader
from tortoise.functions import Count
from tortoise.models import Model

from models.accounts import Account, Role
from models.city import (
    AnnouncementNeighbourhood,
    AnnouncementStreet,
    Consultation,
    ConsultationAnswer,
    ConsultationOption,
    Notification,
)
from models.community import Comment, Post, PostTopic, Reaction, Topic
from models.events import Event, EventAttendee
from models.geography import City, Neighbourhood, Street
from models.media import Photo
from models.messaging import ConversationParticipant, Message
from models.moderation import ContentType, ModerationAction, Report
from permissions.visibility import HiddenContent
from resolvers import instances
from resolvers.pagination import OLDEST_FIRST, Page, keyset_page
from resolvers.statements import fetch_column, fetch_models

# The batches running (DataLoader._dispatch).
_BATCHES: set[asyncio.Future[None]] = set()


class DataLoader(aiodataloader.DataLoader):
    """aiodataloader's DataLoader, in fewer steps where a request pays them on every key or
    batch (a feed page loads 60 keys in 4 batches): the same future cached per key, the
    queue taken on the same turn of the loop as aiodataloader takes it, the batch run as one
    task, its values and errors given to the futures as `dispatch_queue_batch` gives them.
    The queue is two lists, of keys and of their futures, rather than a `Loader` tuple per
    key; aiodataloader's `clear`, `prime` and `load_many` work on it unchanged."""

    # An identity of the class rather than aiodataloader's lambda per instance: `load`
    # reads the cache by the key itself.
    @staticmethod
    def get_cache_key(key: Any) -> Any:
        return key

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.cache is not True or cls.batch is not True or cls.max_batch_size is not None:
            raise TypeError(f"{cls.__name__}: `load` below batches and caches, one batch a tick")
        if cls.get_cache_key is not DataLoader.get_cache_key:
            raise TypeError(f"{cls.__name__}: `load` below caches by the key itself")
        if not inspect.iscoroutinefunction(getattr(cls, "batch_load_fn", None)):
            raise TypeError(f"{cls.__name__}: batch_load_fn must be a coroutine function")

    def __init__(self) -> None:
        # aiodataloader's __init__ with none of its options given, its checks made once per
        # class above rather than on each of a request's loaders.
        self.loop = asyncio.get_event_loop()
        self._cache: dict[Any, asyncio.Future[Any]] = {}
        self._keys: list[Any] = []
        self._futures: list[asyncio.Future[Any]] = []

    def load(self, key: Any) -> Any:
        future = self._cache.get(key)
        if future is None:
            if key is None:
                return super().load(key)  # its error
            future = self._cache[key] = self.loop.create_future()
            keys = self._keys
            if not keys:
                # aiodataloader schedules a task whose first step takes the queue: two
                # turns of the loop, kept, without the task.
                self.loop.call_soon(self._soon)
            keys.append(key)
            self._futures.append(future)
        return future

    def _soon(self) -> None:
        self.loop.call_soon(self._dispatch)

    def _dispatch(self) -> None:
        keys, futures = self._keys, self._futures
        self._keys, self._futures = [], []
        # Held until done: the loop keeps only a weak reference to a task.
        task = asyncio.ensure_future(self._batch(keys, futures))
        _BATCHES.add(task)
        task.add_done_callback(_BATCHES.discard)

    async def _batch(self, keys: list[Any], futures: list[asyncio.Future[Any]]) -> None:
        """aiodataloader's `dispatch_queue_batch`: each future gets its value (an Exception
        among the values is that key's error); if the batch fails, every future gets its
        error and no key stays cached."""
        try:
            values = await self.batch_load_fn(keys)
            if not isinstance(values, list):
                if not isinstance(values, Iterable):
                    raise TypeError(
                        f"{type(self).__name__}.batch_load_fn returned {values!r}, "
                        "not an iterable of values"
                    )
                values = list(values)
            if len(values) != len(keys):
                raise TypeError(
                    f"{type(self).__name__}.batch_load_fn returned {len(values)} values "
                    f"for {len(keys)} keys"
                )
            for future, value in zip(futures, values, strict=True):
                if not future.done():
                    if isinstance(value, Exception):
                        future.set_exception(value)
                    else:
                        future.set_result(value)
        except Exception as error:
            cache = self._cache
            for key, future in zip(keys, futures, strict=True):
                cache.pop(key, None)
                if not future.done():
                    future.set_exception(error)


@cache
def _pk(model: type[Model]) -> Any:
    return attrgetter(model._meta.pk_attr)


@cache
def _by_ids(model: type[Model]) -> Any:
    """The query of rows of `model` by id (resolvers/statements.py builds it once a size)."""

    def build(ids: list[int]) -> Any:
        return model.filter(id__in=ids)

    return build


class _ByIdLoader(DataLoader):
    model: type[Model]

    async def batch_load_fn(self, keys: list[int]) -> list[Any]:
        rows = await fetch_models(self.model, _by_ids(self.model), list(dict.fromkeys(keys)))
        # (`row.pk` is a property of Tortoise's, a call per row; map runs in C.)
        by_id = dict(zip(map(_pk(self.model), rows), rows, strict=True))
        return list(map(by_id.get, keys))


class AccountByIdLoader(_ByIdLoader):
    model = Account


class CityByIdLoader(_ByIdLoader):
    model = City


class NeighbourhoodByIdLoader(_ByIdLoader):
    model = Neighbourhood


class StreetByIdLoader(_ByIdLoader):
    model = Street


class PostByIdLoader(_ByIdLoader):
    model = Post


class ModerationActionByIdLoader(_ByIdLoader):
    model = ModerationAction


class NotificationByIdLoader(_ByIdLoader):
    model = Notification


class TopicBySlugLoader(DataLoader):
    """Keys are (city id, slug): a topic belongs to its city's taxonomy."""

    async def batch_load_fn(self, keys: list[tuple[int, str]]) -> list[Topic | None]:
        rows = await instances.fetch(
            Topic.filter(
                city_id__in={city_id for city_id, _ in keys}, slug__in={slug for _, slug in keys}
            )
        )
        by_key = {(row.city_id, row.slug): row for row in rows}
        return [by_key.get(key) for key in keys]


class RowByIdLoader(_ByIdLoader):
    """Rows of one model by id, for the models that no typed loader above reads by id
    (`Loaders.by_id`): `node(id:)` reaches every type that way."""

    def __init__(self, model: type[Model]) -> None:
        super().__init__()
        self.model = model


class _ViewerHasLoader(DataLoader):
    """Whether the signed-in account has a row of `model` (its `account_id`) for each key."""

    model: type[Model]
    key: str

    def __init__(self, viewer_id: int | None) -> None:
        super().__init__()
        self.viewer_id = viewer_id

    async def batch_load_fn(self, keys: list[int]) -> list[bool]:
        if self.viewer_id is None:
            return [False for _ in keys]
        values = [*dict.fromkeys(keys), self.viewer_id]
        found = set(await fetch_column(self.model, _viewer_has(self.model, self.key), values))
        return list(map(found.__contains__, keys))


@cache
def _viewer_has(model: type[Model], key: str) -> Any:
    """The query of the `key`s among [*keys, viewer id] the viewer has a row of `model` for."""

    def build(values: list[int]) -> Any:
        return model.filter(**{f"{key}__in": values[:-1], "account_id": values[-1]}).values_list(
            key, flat=True
        )

    return build


def _topic_links(post_ids: list[int]) -> Any:
    return PostTopic.filter(post_id__in=post_ids).select_related("topic")


class NotifiedByAnnouncementIdLoader(_ViewerHasLoader):
    """Whether the signed-in account was notified of each announcement: its audience."""

    model = Notification
    key = "announcement_id"


class ReportedByMessageIdLoader(DataLoader):
    """Whether anyone reported each message: moderators see a message only then."""

    async def batch_load_fn(self, keys: list[int]) -> list[bool]:
        reported = set(
            await Report.filter(
                content_type=ContentType.MESSAGE, content_id__in=set(keys)
            ).values_list("content_id", flat=True)
        )
        return [key in reported for key in keys]


class ResidentCountsByNeighbourhoodIdLoader(DataLoader):
    """(registered, verified) residents per neighbourhood, in one GROUP BY."""

    async def batch_load_fn(self, keys: list[int]) -> list[tuple[int, int]]:
        rows = (
            await Account.filter(neighbourhood_id__in=set(keys), role=Role.RESIDENT)
            .annotate(registered=Count("id"), verified=Count("verified_at"))
            .group_by("neighbourhood_id")
            .values("neighbourhood_id", "registered", "verified")
        )
        counts = {r["neighbourhood_id"]: (r["registered"], r["verified"]) for r in rows}
        return [counts.get(key, (0, 0)) for key in keys]


_slug = attrgetter("slug")


class TopicsByPostIdLoader(DataLoader):
    async def batch_load_fn(self, keys: list[int]) -> list[list[Topic]]:
        links = await fetch_models(PostTopic, _topic_links, list(dict.fromkeys(keys)))
        by_post: dict[int, list[Topic]] = defaultdict(list)
        for link in links:
            by_post[link.post_id].append(link.topic)
        return [sorted(by_post[key], key=_slug) for key in keys]


class ViewerReactedByPostIdLoader(_ViewerHasLoader):
    model = Reaction
    key = "post_id"


class ParticipantsByConversationIdLoader(DataLoader):
    async def batch_load_fn(self, keys: list[int]) -> list[list[ConversationParticipant]]:
        rows = await instances.fetch(
            ConversationParticipant.filter(conversation_id__in=set(keys)).select_related("account")
        )
        by_conversation: dict[int, list[ConversationParticipant]] = defaultdict(list)
        for row in rows:
            by_conversation[row.conversation_id].append(row)
        return [sorted(by_conversation[key], key=lambda p: p.account_id) for key in keys]


class LastMessageByConversationIdLoader(DataLoader):
    async def batch_load_fn(self, keys: list[int]) -> list[Message | None]:
        ids = ",".join(str(int(key)) for key in set(keys))
        # The newest visible message of each conversation, all conversations in one statement.
        rows: list[Message] = await instances.select(
            Message,
            "SELECT m.* FROM message m WHERE m.id IN ("
            " SELECT MAX(id) FROM message"
            f" WHERE conversation_id IN ({ids}) AND hidden_at IS NULL"
            " GROUP BY conversation_id)",
            [],
        )
        by_conversation = {row.conversation_id: row for row in rows}
        return [by_conversation.get(key) for key in keys]


class CommentsPageByPostIdLoader(DataLoader):
    """Keys are (post_id, size, after): the first page of many posts' comments costs one
    statement (a window per post); a later page belongs to one post and pages by keyset.
    Hidden comments are left out, except for moderators and their own author."""

    def __init__(self, viewer: Account | None) -> None:
        super().__init__()
        self.viewer = viewer

    async def batch_load_fn(self, keys: list[tuple[int, int, str | None]]) -> list[Page[Comment]]:
        pages: dict[tuple[int, int, str | None], Page[Comment]] = {}
        first_pages: dict[int, list[int]] = defaultdict(list)
        for post_id, size, after in set(keys):
            if after is None and size > 0:
                first_pages[size].append(post_id)
            else:
                visible = Comment.filter(
                    HiddenContent(self.viewer).q(), post_id=post_id, deleted_at=None
                )
                pages[(post_id, size, after)] = await keyset_page(
                    visible, size, after, OLDEST_FIRST
                )
        for size, post_ids in first_pages.items():
            comments = await _first_comments(post_ids, size + 1, self.viewer)
            for post_id, rows in comments.items():
                pages[(post_id, size, None)] = Page.from_rows(rows, size, OLDEST_FIRST)
        return [pages[key] for key in keys]


async def _first_comments(
    post_ids: Iterable[int], limit: int, viewer: Account | None
) -> dict[int, list[Comment]]:
    ids = sorted({int(pid) for pid in post_ids})
    # Only integers are spliced into this statement.
    hidden = " AND " + HiddenContent(viewer).sql("c")
    rows: list[Comment] = await instances.select(
        Comment,
        "SELECT id, post_id, author_id, body, created_at, deleted_at, hidden_at, hidden_reason"
        " FROM ("
        " SELECT c.*, ROW_NUMBER() OVER ("
        "  PARTITION BY c.post_id ORDER BY c.created_at, c.id) AS position"
        f" FROM comment c WHERE c.post_id IN ({','.join(map(str, ids))})"
        f"  AND c.deleted_at IS NULL{hidden}"
        f") ranked WHERE position <= {int(limit)} ORDER BY post_id, created_at, id",
        [],
    )
    by_post: dict[int, list[Comment]] = {pid: [] for pid in ids}
    for row in rows:
        by_post[row.post_id].append(row)
    return by_post


class ConsultationByAnnouncementIdLoader(DataLoader):
    async def batch_load_fn(self, keys: list[int]) -> list[Consultation | None]:
        rows = await instances.fetch(Consultation.filter(announcement_id__in=set(keys)))
        by_announcement = {row.announcement_id: row for row in rows}
        return [by_announcement.get(key) for key in keys]


class OptionsByConsultationIdLoader(DataLoader):
    async def batch_load_fn(self, keys: list[int]) -> list[list[ConsultationOption]]:
        rows = await instances.fetch(
            ConsultationOption.filter(consultation_id__in=set(keys)).order_by("position")
        )
        by_consultation: dict[int, list[ConsultationOption]] = defaultdict(list)
        for row in rows:
            by_consultation[row.consultation_id].append(row)
        return [by_consultation[key] for key in keys]


class ViewerAnswerByConsultationIdLoader(DataLoader):
    """The option the signed-in resident chose, per consultation."""

    def __init__(self, viewer_id: int | None) -> None:
        super().__init__()
        self.viewer_id = viewer_id

    async def batch_load_fn(self, keys: list[int]) -> list[int | None]:
        if self.viewer_id is None:
            return [None for _ in keys]
        rows = await ConsultationAnswer.filter(
            consultation_id__in=set(keys), account_id=self.viewer_id
        ).values_list("consultation_id", "option_id")
        chosen = dict(rows)
        return [chosen.get(key) for key in keys]


class TargetNeighbourhoodsByAnnouncementIdLoader(DataLoader):
    async def batch_load_fn(self, keys: list[int]) -> list[list[Neighbourhood]]:
        links = await instances.fetch(
            AnnouncementNeighbourhood.filter(announcement_id__in=set(keys)).select_related(
                "neighbourhood"
            )
        )
        by_announcement: dict[int, list[Neighbourhood]] = defaultdict(list)
        for link in links:
            by_announcement[link.announcement_id].append(link.neighbourhood)
        return [sorted(by_announcement[key], key=lambda n: n.name) for key in keys]


class TargetStreetsByAnnouncementIdLoader(DataLoader):
    async def batch_load_fn(self, keys: list[int]) -> list[list[Street]]:
        links = await instances.fetch(
            AnnouncementStreet.filter(announcement_id__in=set(keys)).select_related("street")
        )
        by_announcement: dict[int, list[Street]] = defaultdict(list)
        for link in links:
            by_announcement[link.announcement_id].append(link.street)
        return [sorted(by_announcement[key], key=lambda s: s.name) for key in keys]


class PhotosByPostIdLoader(DataLoader):
    async def batch_load_fn(self, keys: list[int]) -> list[list[Photo]]:
        rows = await instances.fetch(
            Photo.filter(post_id__in=set(keys), deleted_at=None).order_by("position", "id")
        )
        by_post: dict[int, list[Photo]] = defaultdict(list)
        for row in rows:
            by_post[row.post_id or 0].append(row)
        return [by_post[key] for key in keys]


class PhotoByMessageIdLoader(DataLoader):
    async def batch_load_fn(self, keys: list[int]) -> list[Photo | None]:
        rows = await instances.fetch(Photo.filter(message_id__in=set(keys), deleted_at=None))
        by_message = {row.message_id: row for row in rows}
        return [by_message.get(key) for key in keys]


class EventByPostIdLoader(DataLoader):
    async def batch_load_fn(self, keys: list[int]) -> list[Event | None]:
        rows = await instances.fetch(Event.filter(post_id__in=set(keys)))
        by_post = {row.post_id: row for row in rows}
        return [by_post.get(key) for key in keys]


class ViewerAttendsByPostIdLoader(_ViewerHasLoader):
    """Whether the signed-in account said it comes to each event (keyed by its post)."""

    model = EventAttendee
    key = "event__post_id"


class AttendeesPageByEventIdLoader(DataLoader):
    """Keys are (event_id, size, after); attendees in the order they said they come. The
    first pages of many events cost one statement (a window per event)."""

    async def batch_load_fn(
        self, keys: list[tuple[int, int, str | None]]
    ) -> list[Page[EventAttendee]]:
        pages: dict[tuple[int, int, str | None], Page[EventAttendee]] = {}
        first_pages: dict[int, list[int]] = defaultdict(list)
        for event_id, size, after in set(keys):
            if after is None and size > 0:
                first_pages[size].append(event_id)
            else:
                qs = EventAttendee.filter(event_id=event_id)
                pages[(event_id, size, after)] = await keyset_page(qs, size, after, OLDEST_FIRST)
        for size, event_ids in first_pages.items():
            ids = ",".join(str(int(pk)) for pk in sorted(set(event_ids)))
            # Only integers are spliced into this statement.
            rows: list[EventAttendee] = await instances.select(
                EventAttendee,
                "SELECT id, event_id, account_id, created_at FROM ("
                " SELECT a.*, ROW_NUMBER() OVER ("
                "  PARTITION BY a.event_id ORDER BY a.created_at, a.id) AS position"
                f" FROM event_attendee a WHERE a.event_id IN ({ids})"
                f") ranked WHERE position <= {int(size) + 1} ORDER BY event_id, created_at, id",
                [],
            )
            by_event: dict[int, list[EventAttendee]] = defaultdict(list)
            for row in rows:
                by_event[row.event_id].append(row)
            for event_id in event_ids:
                pages[(event_id, size, None)] = Page.from_rows(
                    by_event[event_id], size, OLDEST_FIRST
                )
        return [pages[key] for key in keys]


L = TypeVar("L")


class _made_once(Generic[L]):
    """functools.cached_property without the lock Python 3.11's takes on each first read: a
    request's loaders are made on the event loop's thread alone."""

    def __init__(self, make: Callable[[Any], L]) -> None:
        self.make = make
        self.name = make.__name__

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> _made_once[L]: ...

    @overload
    def __get__(self, instance: object, owner: type | None = None) -> L: ...

    def __get__(self, instance: object | None, owner: type | None = None) -> Any:
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.make(instance)
        return value


class Loaders:
    """This request's loaders, each built the first time it is used: a request (or a
    subscription's event) uses a few of them, and building all twenty costs half a
    millisecond."""

    def __init__(self, viewer: Account | None) -> None:
        self.viewer = viewer
        self.viewer_id = viewer.id if viewer else None
        self._by_id: dict[type[Model], RowByIdLoader] = {}

    def by_id(self, model: type[Model]) -> RowByIdLoader:
        """This request's loader of `model` rows by id, made on first use."""
        loader = self._by_id.get(model)
        if loader is None:
            loader = self._by_id[model] = RowByIdLoader(model)
        return loader

    @_made_once
    def account(self) -> AccountByIdLoader:
        return AccountByIdLoader()

    @_made_once
    def city(self) -> CityByIdLoader:
        return CityByIdLoader()

    @_made_once
    def neighbourhood(self) -> NeighbourhoodByIdLoader:
        return NeighbourhoodByIdLoader()

    @_made_once
    def street(self) -> StreetByIdLoader:
        return StreetByIdLoader()

    @_made_once
    def resident_counts(self) -> ResidentCountsByNeighbourhoodIdLoader:
        return ResidentCountsByNeighbourhoodIdLoader()

    @_made_once
    def post(self) -> PostByIdLoader:
        return PostByIdLoader()

    @_made_once
    def moderation_action(self) -> ModerationActionByIdLoader:
        return ModerationActionByIdLoader()

    @_made_once
    def notification(self) -> NotificationByIdLoader:
        return NotificationByIdLoader()

    @_made_once
    def topic_by_slug(self) -> TopicBySlugLoader:
        return TopicBySlugLoader()

    @_made_once
    def topics_by_post(self) -> TopicsByPostIdLoader:
        return TopicsByPostIdLoader()

    @_made_once
    def viewer_reacted(self) -> ViewerReactedByPostIdLoader:
        return ViewerReactedByPostIdLoader(self.viewer_id)

    @_made_once
    def participants(self) -> ParticipantsByConversationIdLoader:
        return ParticipantsByConversationIdLoader()

    @_made_once
    def last_message(self) -> LastMessageByConversationIdLoader:
        return LastMessageByConversationIdLoader()

    @_made_once
    def comments_page(self) -> CommentsPageByPostIdLoader:
        return CommentsPageByPostIdLoader(self.viewer)

    @_made_once
    def consultation(self) -> ConsultationByAnnouncementIdLoader:
        return ConsultationByAnnouncementIdLoader()

    @_made_once
    def consultation_options(self) -> OptionsByConsultationIdLoader:
        return OptionsByConsultationIdLoader()

    @_made_once
    def consultation_answer(self) -> ViewerAnswerByConsultationIdLoader:
        return ViewerAnswerByConsultationIdLoader(self.viewer_id)

    @_made_once
    def target_neighbourhoods(self) -> TargetNeighbourhoodsByAnnouncementIdLoader:
        return TargetNeighbourhoodsByAnnouncementIdLoader()

    @_made_once
    def target_streets(self) -> TargetStreetsByAnnouncementIdLoader:
        return TargetStreetsByAnnouncementIdLoader()

    @_made_once
    def viewer_notified(self) -> NotifiedByAnnouncementIdLoader:
        return NotifiedByAnnouncementIdLoader(self.viewer_id)

    @_made_once
    def reported_message(self) -> ReportedByMessageIdLoader:
        return ReportedByMessageIdLoader()

    @_made_once
    def photos_by_post(self) -> PhotosByPostIdLoader:
        return PhotosByPostIdLoader()

    @_made_once
    def photo_by_message(self) -> PhotoByMessageIdLoader:
        return PhotoByMessageIdLoader()

    @_made_once
    def event(self) -> EventByPostIdLoader:
        return EventByPostIdLoader()

    @_made_once
    def viewer_attends(self) -> ViewerAttendsByPostIdLoader:
        return ViewerAttendsByPostIdLoader(self.viewer_id)

    @_made_once
    def attendees_page(self) -> AttendeesPageByEventIdLoader:
        return AttendeesPageByEventIdLoader()
