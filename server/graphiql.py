"""GraphiQL served by the app itself: its pages, their assets, and the staff gate in production.

React and GraphiQL come from `server/static/graphiql/` (pinned npm builds, see its README),
never from a CDN: moderators sit behind restrictive networks, and a CDN is a supply-chain risk.
Both pages forbid inline and foreign scripts with a Content-Security-Policy.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from server import ide_session
from server.ide_texts import page_texts

if TYPE_CHECKING:
    from starlette.requests import Request

    from server.settings import Settings

STATIC = Path(__file__).resolve().parent / "static"
VENDOR = STATIC / "graphiql"
OWN = STATIC / "ide"
ASSETS_PATH = "/graphql/assets"
SIGN_IN_PATH = "/graphql/sign-in"

# GraphiQL's fonts and icons are data: URLs inside its CSS; everything else comes from here.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
# Pages name each asset with its digest (`?v=`), so a browser may keep it for good.
ASSET_CACHE = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class Asset:
    path: Path
    media_type: str


MEDIA_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}


def _asset(directory: Path, name: str) -> Asset:
    return Asset(directory / name, MEDIA_TYPES[Path(name).suffix])


VENDORED = (
    "graphiql.min.js",
    "graphiql.min.css",
    "react.production.min.js",
    "react-dom.production.min.js",
    "graphql-ws.min.js",
)
# Only these are served: not the READMEs, licences or page templates beside them.
ASSETS = {name: _asset(VENDOR, name) for name in VENDORED} | {
    name: _asset(OWN, name) for name in ("ide.js", "ide.css", "sign-in.js", "favicon.svg")
}


@cache
def _read(name: str) -> tuple[bytes, str]:
    raw = ASSETS[name].path.read_bytes()
    return raw, hashlib.sha256(raw).hexdigest()


@cache
def _gzipped(name: str) -> bytes:
    # mtime=0: the same bytes give the same gzip, whichever process compressed them.
    return gzip.compress(_read(name)[0], compresslevel=9, mtime=0)


async def digest(name: str) -> str:
    # The first call reads the file; GraphiQL's is 3.5 MB: not on the event loop.
    return (await asyncio.to_thread(_read, name))[1]


async def asset(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in ASSETS:
        return Response("Not Found", status_code=404, media_type="text/plain")
    headers = {
        "Cache-Control": ASSET_CACHE,
        "X-Content-Type-Options": "nosniff",
        "Vary": "Accept-Encoding",
    }
    if "gzip" in request.headers.get("accept-encoding", ""):
        # Compressed once per process (3.5 MB of GraphiQL becomes 0.7 MB), then kept.
        body = await asyncio.to_thread(_gzipped, name)
        headers["Content-Encoding"] = "gzip"
    else:
        body = (await asyncio.to_thread(_read, name))[0]
    return Response(body, media_type=ASSETS[name].media_type, headers=headers)


_PLACEHOLDER = re.compile(r"\{\{([\w.-]+)\}\}")


async def render(template: str, **values: str) -> str:
    """The page with `{{asset}}` replaced by the asset's versioned URL, `{{key}}` by a value."""
    text = (OWN / template).read_text()
    urls = {
        name: f"{ASSETS_PATH}/{name}?v={(await digest(name))[:16]}"
        for name in set(_PLACEHOLDER.findall(text))
        if name in ASSETS
    }
    return _PLACEHOLDER.sub(lambda match: {**urls, **values}[match.group(1)], text)


async def ide_page(request: Request, settings: Settings) -> HTMLResponse:
    sign_in = "required" if settings.production else "optional"
    page = await render("ide.html", sign_in=sign_in, **page_texts(request))
    return HTMLResponse(page, headers=PAGE_HEADERS)


async def ide_response(request: Request, settings: Settings) -> Response:
    """GraphiQL for anyone in development; in production only behind a staff session cookie,
    others are sent to the sign-in page."""
    if settings.production and await ide_session.staff_in_cookie(request) is None:
        return RedirectResponse(
            SIGN_IN_PATH, status_code=303, headers={"Cache-Control": "no-store"}
        )
    return await ide_page(request, settings)


async def sign_in_page(request: Request, settings: Settings) -> HTMLResponse:
    texts = page_texts(request)
    if not settings.production:
        # Development opens GraphiQL to any account: the page says so.
        texts["t.reserved"] = texts["t.open_in_development"]
    page = await render("sign-in.html", **texts)
    return HTMLResponse(page, headers=PAGE_HEADERS)


def routes(settings: Settings) -> list[Route]:
    """The pages and assets beside /graphql (which Strawberry serves, IDE page included)."""

    async def sign_in(request: Request) -> HTMLResponse:
        return await sign_in_page(request, settings)

    return [
        Route(SIGN_IN_PATH, sign_in, methods=["GET"]),
        Route(f"{ASSETS_PATH}/{{name}}", asset, methods=["GET"]),
        *ide_session.routes(settings),
    ]
