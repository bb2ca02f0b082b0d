"""The feed: reading posts and comments, writing them, reactions."""

from __future__ import annotations

from collections.abc import Coroutine, Sequence
from datetime import datetime, time
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.queryset import QuerySet
from tortoise.timezone import now
from tortoise.transactions import in_transaction

from models.accounts import Account, Role
from models.community import Comment, Post, PostKind, PostTopic, Reaction, Topic
from models.events import Event
from models.geography import Neighbourhood
from permissions import visibility
from permissions.errors import BadInput, Forbidden, Unauthenticated
from permissions.text import tr
from permissions.visibility import HiddenContent
from resolvers import events, photos
from resolvers.broadcast import CommentAdded, PostAdded
from resolvers.context import Context
from resolvers.errors import ErrorCode, FieldError, UserErrors, fail
from resolvers.ids import decode_id
from resolvers.pagination import NEWEST_FIRST, Page, keyset_page, page_size
from resolvers.rate_limits import Action, enforce
from resolvers.statements import Build, fetch_models
from resolvers.validation import Checks, has_control_characters

TITLE_MAX = 200
BODY_MAX = 10_000
COMMENT_MAX = 5_000
TOPICS_MAX = 5


def visible_posts(neighbourhood_id: int, viewer: Account | None) -> QuerySet[Post]:
    """The feed's rows; the field that lists them checks `visibility.can_read_feed`."""
    return Post.filter(
        HiddenContent(viewer).q(), neighbourhood_id=neighbourhood_id, deleted_at=None
    )


def feed_posts(
    neighbourhood_id: int, viewer: Account | None, kind: PostKind | None, slug: str | None
) -> QuerySet[Post]:
    """The feed's rows of a kind and a topic (None for any)."""
    qs = visible_posts(neighbourhood_id, viewer)
    if kind is not None:
        qs = qs.filter(kind=kind)
    if slug is not None:
        qs = qs.filter(post_topics__topic__slug=slug)
    return qs


async def feed(
    ctx: Context,
    neighbourhood: Neighbourhood,
    *,
    first: int | None,
    after: str | None,
    kind: PostKind | None,
    topic: str | None,
) -> Page[Post]:
    slug = None
    if topic is not None:
        if has_control_characters(topic) or len(topic) > 40:
            raise BadInput(tr("Thème invalide."))
        slug = topic.strip().casefold()
    viewer = ctx.viewer
    # The viewer's id is bound only by a rule that lets them see their own hidden posts.
    own = [viewer.id] if viewer is not None and not HiddenContent(viewer).sees_all else []

    async def read(count: int, cursor: tuple[datetime, int] | None) -> list[Post]:
        role = viewer.role if viewer is not None else None
        build = _feed_page(role, bool(own), kind, slug is not None, cursor is not None, count)
        values = [neighbourhood.id, *own, *([slug] if slug is not None else []), *(cursor or ())]
        kinds = tuple(datetime if isinstance(v, datetime) else type(v) for v in values)
        return await fetch_models(Post, build, values, kinds)

    # The QuerySet only for a page after a cursor (what it has behind it) or of no rows.
    return await keyset_page(
        lambda: feed_posts(neighbourhood.id, viewer, kind, slug), first, after, NEWEST_FIRST, read
    )


@lru_cache(maxsize=1024)
def _feed_page(
    role: Role | None, own: bool, kind: PostKind | None, by_topic: bool, after: bool, count: int
) -> Build:
    """The query of a feed page of one shape, for a viewer of `role` (who sees their own
    hidden posts when `own`); resolvers/statements.py builds it once. Its values: the
    neighbourhood's id, the viewer's, the topic's slug, the cursor's time and id."""

    def build(values: list[Any]) -> QuerySet[Post]:
        given = iter(values)
        neighbourhood_id = next(given)
        viewer = None if role is None else Account(id=next(given) if own else 0, role=role)
        qs = feed_posts(neighbourhood_id, viewer, kind, next(given) if by_topic else None)
        if after:
            qs = NEWEST_FIRST.after_values(qs, next(given), next(given))
        return NEWEST_FIRST.apply(qs).limit(count)

    return build


async def can_view_post(viewer: Account | None, post: Post, ctx: Context) -> bool:
    """`visibility.can_view_post`, with the post's neighbourhood from the request's loader."""
    if viewer is None:
        return False
    city_id = None
    if visibility.needs_city_of_feed(viewer):
        neighbourhood = await ctx.loaders.neighbourhood.load(post.neighbourhood_id)
        city_id = neighbourhood.city_id if neighbourhood else None
    return visibility.can_view_post(viewer, post, city_id)


def shown_time(
    ctx: Context, post: Post, moment: datetime, writer_id: int
) -> datetime | Coroutine[Any, Any, datetime]:
    """When `writer_id` wrote on `post` (the post itself, or a comment under it), as precisely
    as the caller may know: the city's roles get the day, at midnight in the city's time
    zone, of a post not shared with them and of comments by anyone but the post's author.
    The moment itself at once; the day, which needs the city's time zone, to be awaited."""
    viewer = ctx.viewer
    if visibility.sees_precise_times(viewer, post) and visibility.can_name_writer(
        viewer, post, writer_id
    ):
        return moment
    return _day_of(ctx, post, moment)


async def _day_of(ctx: Context, post: Post, moment: datetime) -> datetime:
    """Midnight of `moment`'s day in the time zone of `post`'s city."""
    neighbourhood = await ctx.loaders.neighbourhood.load(post.neighbourhood_id)
    city = await ctx.loaders.city.load(neighbourhood.city_id)
    zone = ZoneInfo(city.time_zone)
    return datetime.combine(moment.astimezone(zone).date(), time(), tzinfo=zone)


async def post(ctx: Context, raw_id: str) -> Post | None:
    """The post if the caller may see it; None alike for unknown, deleted and out of reach."""
    if ctx.viewer is None:
        raise Unauthenticated()
    pk = decode_id(raw_id, "Post")
    row = await ctx.loaders.post.load(pk) if pk else None
    if row is None or not await can_view_post(ctx.viewer, row, ctx):
        return None
    return row


async def comments(ctx: Context, post: Post, first: int | None, after: str | None) -> Page[Comment]:
    return await ctx.loaders.comments_page.load((post.id, page_size(first), after))


def _writer_state(viewer: Account, neighbourhood: Neighbourhood | None) -> list[FieldError]:
    """Why this resident may not write yet, if they may not."""
    errors = []
    if neighbourhood is None or neighbourhood.activated_at is None:
        errors.append(
            FieldError(
                None,
                ErrorCode.NEIGHBOURHOOD_NOT_ACTIVE,
                tr(
                    "Votre quartier n'est pas encore actif : il le sera quand assez de voisins "
                    "auront vérifié leur adresse."
                ),
            )
        )
    if not viewer.is_verified:
        errors.append(
            FieldError(
                None,
                ErrorCode.NOT_VERIFIED,
                tr("Vérifiez votre adresse avec le code reçu par courrier."),
            )
        )
    return errors


async def require_writer(ctx: Context) -> Account:
    viewer = ctx.viewer
    assert viewer is not None
    neighbourhood = (
        await ctx.loaders.neighbourhood.load(viewer.neighbourhood_id)
        if viewer.neighbourhood_id
        else None
    )
    errors = _writer_state(viewer, neighbourhood)
    if errors:
        raise UserErrors(errors)
    return viewer


async def _topic_ids(checks: Checks, viewer: Account, slugs: list[str] | None) -> list[int]:
    if not slugs:
        return []
    wanted = list(dict.fromkeys(s.strip().casefold() for s in slugs))
    if len(wanted) > TOPICS_MAX:
        checks.add(
            "topicSlugs",
            ErrorCode.TOO_MANY_TOPICS,
            tr("{topics_max} thèmes au maximum.", topics_max=TOPICS_MAX),
        )
        return []
    found = dict(
        await Topic.filter(city_id=viewer.city_id, slug__in=wanted).values_list("slug", "id")
    )
    for slug in wanted:
        if slug not in found:
            checks.add(
                "topicSlugs",
                ErrorCode.UNKNOWN_TOPIC,
                tr("Thème inconnu : « {slug} ».", slug=slug[:40]),
            )
    return [found[slug] for slug in wanted if slug in found]


async def create_post(
    ctx: Context,
    *,
    kind: PostKind,
    title: str,
    body: str,
    topic_slugs: list[str] | None,
    share_with_city: bool,
    photo_ids: Sequence[str] | None = None,
    event: events.EventDetails | None = None,
) -> Post:
    viewer = await require_writer(ctx)
    await enforce(ctx, Action.POST)
    checks = Checks()
    title = checks.text("title", title, max_length=TITLE_MAX)
    body = checks.text("body", body, max_length=BODY_MAX, multiline=True)
    topic_ids = await _topic_ids(checks, viewer, topic_slugs)
    event_values = await events.checked(checks, viewer, kind, event or events.EventDetails())
    photos_chosen = await photos.chosen_photos(
        checks, viewer, photo_ids, field="photoIds", limit=photos.MAX_POST_PHOTOS
    )
    checks.raise_if_any()
    assert viewer.neighbourhood_id is not None
    async with in_transaction():
        row = await Post.create(
            neighbourhood_id=viewer.neighbourhood_id,
            author_id=viewer.id,
            kind=kind,
            title=title,
            body=body,
            share_with_city=share_with_city,
            created_at=now(),
        )
        await PostTopic.bulk_create([PostTopic(post_id=row.id, topic_id=t) for t in topic_ids])
        if event_values is not None:
            await events.create(row, event_values)
        if photos_chosen and not await photos.attach(viewer.id, photos_chosen, post_id=row.id):
            raise photos.taken("photoIds")
    await ctx.publisher.publish(PostAdded(row.id, row.neighbourhood_id))
    return row


async def _own_post(ctx: Context, raw_id: str, checks: Checks) -> Post:
    """The caller's own visible post, or a userError / FORBIDDEN."""
    pk = checks.global_id("postId", raw_id, "Post")
    checks.raise_if_any()
    row = await Post.get_or_none(id=pk)
    if row is None or not await can_view_post(ctx.viewer, row, ctx):
        raise fail("postId", ErrorCode.NOT_FOUND, tr("Publication introuvable."))
    assert ctx.viewer is not None
    if row.author_id != ctx.viewer.id:
        raise Forbidden(tr("Seul l'auteur peut modifier ou supprimer cette publication."))
    return row


async def edit_post(
    ctx: Context,
    *,
    post_id: str,
    title: str | None,
    body: str | None,
    topic_slugs: list[str] | None,
    expected_version: int,
    share_with_city: bool | None = None,
    photo_ids: Sequence[str] | None = None,
    event: events.EventDetails | None = None,
) -> Post:
    """Withdrawing `shareWithCity` takes effect at once everywhere: every read decides
    from the row (`visibility.can_read_post_content`), nothing caches the consent."""
    viewer = await require_writer(ctx)
    await enforce(ctx, Action.POST)
    checks = Checks()
    row = await _own_post(ctx, post_id, checks)
    changes: dict[str, object] = {}
    if share_with_city is not None:
        changes["share_with_city"] = share_with_city
    if title is not None:
        changes["title"] = checks.text("title", title, max_length=TITLE_MAX)
    if body is not None:
        changes["body"] = checks.text("body", body, max_length=BODY_MAX, multiline=True)
    topic_ids = await _topic_ids(checks, viewer, topic_slugs)
    current_event = await Event.get_or_none(post_id=row.id)
    event_values = await events.checked(
        checks, viewer, row.kind, event or events.EventDetails(), current_event
    )
    photos_chosen = await photos.chosen_photos(
        checks, viewer, photo_ids, field="photoIds", limit=photos.MAX_POST_PHOTOS, post_id=row.id
    )
    checks.raise_if_any()
    moment = now()
    doomed: list[int] = []
    async with in_transaction():
        # Compare-and-set on the version: a stale edit changes nothing.
        updated = await Post.filter(id=row.id, version=expected_version, deleted_at=None).update(
            **changes, version=F("version") + 1, updated_at=now()
        )
        if updated == 0:
            current = await Post.get(id=row.id)
            raise fail(
                "expectedVersion",
                ErrorCode.VERSION_CONFLICT,
                tr(
                    "La publication a été modifiée entre-temps (version actuelle : {version}).",
                    version=current.version,
                ),
            )
        if topic_slugs is not None:
            await PostTopic.filter(post_id=row.id).delete()
            await PostTopic.bulk_create([PostTopic(post_id=row.id, topic_id=t) for t in topic_ids])
        if photos_chosen is not None:
            doomed = await photos.detach_others(row.id, photos_chosen, moment)
            if not await photos.attach(viewer.id, photos_chosen, post_id=row.id):
                raise photos.taken("photoIds")
        if event_values is not None:
            if current_event is None:
                await events.create(row, event_values)
            else:
                await events.update(row, event_values)
            await events.notify_attendees(row.id, viewer.id, moment)
    await photos.purge(ctx.media, doomed)
    return await Post.get(id=row.id)


async def delete_post(ctx: Context, *, post_id: str) -> Post:
    row = await _own_post(ctx, post_id, Checks())
    moment = now()
    async with in_transaction():
        doomed = await purge_post(row.id)
        if row.kind is PostKind.EVENT:
            await events.notify_attendees(row.id, row.author_id, moment, cancelled=True)
    # The files go at once where this process holds the store; the worker's sweep otherwise.
    await photos.purge(ctx.media, doomed)
    return row


async def purge_post(post_id: int) -> list[int]:
    """Deleted, and its words gone from the database: the row stays (messages and reports
    point to it), emptied; the comments under it can no longer be read by anyone, so their
    words go too. Its photos are doomed (their ids returned): their files go with them."""
    moment = now()
    await Post.filter(id=post_id, deleted_at=None).update(deleted_at=moment)
    await Post.filter(id=post_id).update(title="", body="", hidden_reason=None)
    await Comment.filter(post_id=post_id).update(body="", hidden_reason=None)
    return await photos.doom_post(post_id, moment)


async def delete_comment(ctx: Context, *, comment_id: str) -> Post:
    """The author deletes their comment: its words are purged, the post's count drops."""
    await require_writer(ctx)
    checks = Checks()
    pk = checks.global_id("commentId", comment_id, "Comment")
    checks.raise_if_any()
    viewer = ctx.viewer
    assert viewer is not None
    row = await Comment.get_or_none(id=pk, deleted_at=None)
    post = await Post.get_or_none(id=row.post_id) if row else None
    if (
        row is None
        or post is None
        or not await can_view_post(viewer, post, ctx)
        or (row.hidden_at is not None and not HiddenContent(viewer).sees(row.author_id))
    ):
        raise fail("commentId", ErrorCode.NOT_FOUND, tr("Commentaire introuvable."))
    if row.author_id != viewer.id:
        raise Forbidden(tr("Seul l'auteur peut supprimer ce commentaire."))
    async with in_transaction():
        await purge_comment(row)
    return await Post.get(id=post.id)


async def purge_comment(row: Comment) -> None:
    """Deleted and emptied; a comment readers could see no longer counts on its post."""
    updated = await Comment.filter(id=row.id, deleted_at=None).update(
        deleted_at=now(), body="", hidden_reason=None
    )
    if updated and row.hidden_at is None:
        await Post.filter(id=row.post_id).update(comment_count=F("comment_count") - 1)


async def visible_post_for_write(ctx: Context, raw_id: str) -> Post:
    checks = Checks()
    pk = checks.global_id("postId", raw_id, "Post")
    checks.raise_if_any()
    row = await Post.get_or_none(id=pk)
    if row is None or not await can_view_post(ctx.viewer, row, ctx) or row.hidden_at is not None:
        raise fail("postId", ErrorCode.NOT_FOUND, tr("Publication introuvable."))
    return row


async def add_comment(ctx: Context, *, post_id: str, body: str) -> tuple[Comment, Post]:
    viewer = await require_writer(ctx)
    await enforce(ctx, Action.COMMENT)
    checks = Checks()
    body = checks.text("body", body, max_length=COMMENT_MAX, multiline=True)
    checks.raise_if_any()
    target = await visible_post_for_write(ctx, post_id)
    async with in_transaction():
        comment = await Comment.create(
            post_id=target.id, author_id=viewer.id, body=body, created_at=now()
        )
        await Post.filter(id=target.id).update(comment_count=F("comment_count") + 1)
    await ctx.publisher.publish(CommentAdded(comment.id, target.id))
    return comment, await Post.get(id=target.id)


async def toggle_reaction(ctx: Context, *, post_id: str) -> Post:
    viewer = await require_writer(ctx)
    await enforce(ctx, Action.REACTION)
    target = await visible_post_for_write(ctx, post_id)
    async with in_transaction():
        removed = await Reaction.filter(post_id=target.id, account_id=viewer.id).delete()
        if removed:
            await Post.filter(id=target.id).update(reaction_count=F("reaction_count") - 1)
        else:
            try:
                async with in_transaction():
                    await Reaction.create(post_id=target.id, account_id=viewer.id)
                await Post.filter(id=target.id).update(reaction_count=F("reaction_count") + 1)
            except IntegrityError:
                pass  # a concurrent toggle by the same resident already added it
    ctx.loaders.viewer_reacted.clear(target.id)
    return await Post.get(id=target.id)
