"""`GET /events/{postId}.ics`: an event as an iCalendar file (RFC 5545) for the resident's
calendar, with the bearer token, and only to whoever may read the event's post."""

from __future__ import annotations

from datetime import UTC

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from models.community import Post
from models.events import Event
from models.geography import Street
from permissions.text import tr
from permissions.visibility import can_read_post_content
from resolvers.community import can_view_post
from resolvers.context import Context
from resolvers.ids import decode_id, to_global_id
from resolvers.loaders import Loaders
from server.auth import authenticate, bearer_token
from server.problems import HTTPProblem, problem, signed_out

PRODUCT = "-//Quartier//Événements de quartier//FR"


async def event_ics(request: Request) -> Response:
    viewer, token = await authenticate(bearer_token(request))
    if viewer is None:
        return problem(signed_out(), request)
    ctx = Context(viewer=viewer, token=token, loaders=Loaders(viewer), settings=None)
    pk = decode_id(request.path_params["post_id"], "Post")
    post = await Post.get_or_none(id=pk) if pk else None
    event = await Event.get_or_none(post_id=pk) if post else None
    readable = (
        post is not None
        and event is not None
        and await can_view_post(viewer, post, ctx)
        and can_read_post_content(viewer, post)
    )
    if not readable or post is None or event is None:
        # Out of reach answers like what does not exist.
        return problem(HTTPProblem(404, "NOT_FOUND", tr("Événement introuvable.")), request, viewer)
    street = await Street.get_or_none(id=event.street_id) if event.street_id else None
    body = calendar(post, event, street, request.url.hostname or "quartier")
    name = f"evenement-{post.id}.ics"
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "private, no-store",
        },
    )


def calendar(post: Post, event: Event, street: Street | None, host: str) -> bytes:
    # Imported on first use: icalendar (and dateutil) cost CPU at every process start.
    from icalendar import Calendar
    from icalendar import Event as VEvent

    cal = Calendar()
    cal.add("prodid", PRODUCT)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    item = VEvent()
    # Stable across edits, so a calendar that imports it again updates the same entry.
    item.add("uid", f"{to_global_id('Post', post.id)}@{host}")
    item.add("dtstamp", (post.updated_at or post.created_at).astimezone(UTC))
    item.add("sequence", post.version - 1)
    item.add("dtstart", event.starts_at.astimezone(UTC))
    if event.ends_at is not None:
        item.add("dtend", event.ends_at.astimezone(UTC))
    item.add("summary", post.title)
    item.add("description", post.body)
    place = event.place if street is None else f"{event.place}, {street.name} {street.postal_code}"
    item.add("location", place)
    item.add("created", post.created_at.astimezone(UTC))
    item.add("last-modified", (post.updated_at or post.created_at).astimezone(UTC))
    cal.add_component(item)
    return cal.to_ical()


def routes() -> list[Route]:
    return [Route("/events/{post_id}.ics", event_ics, methods=["GET"])]
