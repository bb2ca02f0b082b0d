"""The moderators' GraphiQL session: a staff token exchanged for a short-lived one, kept in an
HttpOnly cookie that lets the IDE page through in production.

The API never reads this cookie, only the Authorization header: a forged cross-site request
carries no credential, so the cookie opens no CSRF hole. GraphiQL's own requests send the
token that the sign-in page kept in the tab's sessionStorage.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from permissions.roles import is_staff
from resolvers import tokens
from server.auth import authenticate, bearer_token

if TYPE_CHECKING:
    from starlette.requests import Request

    from models.accounts import Account
    from server.settings import Settings

COOKIE = "quartier_graphiql"
COOKIE_PATH = "/graphql"
SESSION_PATH = "/graphql/session"
# A working day: a forgotten tab does not keep a moderator's access open for a month.
SESSION_TTL = timedelta(hours=12)
NO_STORE = {"Cache-Control": "no-store"}

UNAUTHENTICATED = "Jeton absent, inconnu ou expiré : connectez-vous."
NOT_STAFF = (
    "GraphiQL est réservé à la modération : ce compte n'a ni le rôle MODERATOR ni le rôle ADMIN."
)


async def staff_in_cookie(request: Request) -> Account | None:
    """The moderator or admin whose session cookie came with the request; the role is read
    again each time, so a demoted account loses the IDE at once."""
    viewer, _ = await authenticate(request.cookies.get(COOKIE))
    return viewer if is_staff(viewer) else None


def _refusal(status_code: int, message: str) -> JSONResponse:
    return JSONResponse({"message": message}, status_code=status_code, headers=NO_STORE)


def _set_cookie(response: Response, raw: str, settings: Settings) -> None:
    response.set_cookie(
        COOKIE,
        raw,
        max_age=int(SESSION_TTL.total_seconds()),
        path=COOKIE_PATH,
        # Chromium accepts Secure cookies from http://127.0.0.1, so tests over loopback work.
        secure=settings.production,
        httponly=True,
        samesite="strict",
    )


async def open_session(request: Request, settings: Settings) -> Response:
    """POST with `Authorization: Bearer <token>`: 401 for no valid token; in production, 403
    for an account that is not staff; else a new 12-hour token in the body and in the
    cookie. Development opens GraphiQL to anyone, as the README says.

    The token sent is revoked only once it has been exchanged, so that a sign-in made for
    GraphiQL leaves no month-long token behind. A refusal leaves it alone: it may be a
    token the caller uses elsewhere, and refusing the IDE is no reason to end it."""
    viewer, token = await authenticate(bearer_token(request))
    if viewer is None or token is None:
        return _refusal(401, UNAUTHENTICATED)
    if settings.production and not is_staff(viewer):
        return _refusal(403, NOT_STAFF)
    raw, _ = await tokens.issue(viewer, SESSION_TTL)
    await tokens.revoke(token)
    response = JSONResponse(
        {"token": raw, "expiresIn": int(SESSION_TTL.total_seconds())}, headers=NO_STORE
    )
    _set_cookie(response, raw, settings)
    return response


async def close_session(request: Request, settings: Settings) -> Response:
    """DELETE: revokes the session's token and clears the cookie."""
    _, token = await authenticate(request.cookies.get(COOKIE))
    if token is not None:
        await tokens.revoke(token)
    response = Response(status_code=204, headers=NO_STORE)
    response.delete_cookie(
        COOKIE, path=COOKIE_PATH, secure=settings.production, httponly=True, samesite="strict"
    )
    return response


def routes(settings: Settings) -> list[Route]:
    async def session(request: Request) -> Response:
        if request.method == "DELETE":
            return await close_session(request, settings)
        return await open_session(request, settings)

    return [Route(SESSION_PATH, session, methods=["POST", "DELETE"])]
