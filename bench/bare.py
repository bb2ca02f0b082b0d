"""The baseline: the NeighbourhoodFeed query written by hand, without GraphQL and without models.

One POST endpoint (`/graphql`, so the load generator sends both servers the same request) that
reads the variables of the NeighbourhoodFeed operation, authenticates the bearer token with the
statement the app uses, runs the statements the GraphQL stack runs for that operation (captured
from the `tortoise.db_client` logger; `bench.feed` checks they match) through Tortoise's
connection (`execute_query_dict`: the same driver, pool and prepared-statement cache), applies
the same visibility rules, and writes the JSON Strawberry writes, byte for byte.

It does not parse the GraphQL document: `after`, `kind`, `topic` and `first: 0` (which run other
statements) are refused with a 400; the benchmark does not send them.

Serve it as the app is served:

    DATABASE_URL=... uvicorn bench.bare:app_from_env --factory --host 127.0.0.1 --port 8001
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from tortoise import connections
from tortoise.models import Model

from models.accounts import Account, AuthToken
from models.community import Post, PostTopic, Topic
from models.geography import Neighbourhood
from resolvers.ids import decode_id, encode_cursor, to_global_id
from resolvers.pagination import MAX_PAGE_SIZE
from resolvers.tokens import PREFIX
from server import db
from server.auth import bearer_token
from server.settings import Settings

STAFF = frozenset({"MODERATOR", "ADMIN"})
CITY = frozenset({"CITY_STAFF", "CITY_INTEGRATION"})


def _model_columns(model: type[Model]) -> tuple[str, ...]:
    """The columns Tortoise selects for a model: every column of its table. Read from the
    model, once Tortoise is initialised (foreign-key columns appear then), so that the
    baseline follows the schema as it changes."""
    return tuple(model._meta.fields_db_projection.values())


def _columns(columns: tuple[str, ...]) -> str:
    return ",".join(f'"{c}"' for c in columns)


def _joined(table: str, columns: tuple[str, ...], alias: str, related: tuple[str, ...]) -> str:
    own = [f'"{table}"."{c}"' for c in columns]
    other = [f'"{alias}"."{c}" "{alias}.{c}"' for c in related]
    return ",".join(own + other)


class Statements:
    """The SQL text of each statement, in the connection's placeholder style."""

    def __init__(self, dialect: str) -> None:
        self.account_columns = _model_columns(Account)
        self.token_columns = _model_columns(AuthToken)
        self.neighbourhood_columns = _model_columns(Neighbourhood)
        self.post_columns = _model_columns(Post)
        self.topic_columns = _model_columns(Topic)
        self.post_topic_columns = _model_columns(PostTopic)
        if dialect == "postgres":
            self.mark: Callable[[int], str] = lambda i: f"${i}"
        else:
            self.mark = lambda _i: "?"
        m = self.mark
        self.auth = (
            f"SELECT {_joined('auth_token', self.token_columns, 'auth_token__account', self.account_columns)}"
            ' FROM "auth_token" LEFT OUTER JOIN "account" "auth_token__account"'
            ' ON "auth_token__account"."id"="auth_token"."account_id"'
            f' WHERE "auth_token"."token_hash"={m(1)} AND "auth_token"."revoked_at" IS NULL'
            f" LIMIT {m(2)}"
        )
        # resolvers.visibility.not_hidden_for: hidden posts stay visible to their author,
        # and to moderators (who get no condition on hidden_at at all).
        self.posts = (
            f'SELECT {_columns(self.post_columns)} FROM "post"'
            f' WHERE ("hidden_at" IS NULL OR "author_id"={m(1)}) AND "neighbourhood_id"={m(2)}'
            f' AND "deleted_at" IS NULL ORDER BY "created_at" DESC,"id" DESC LIMIT {m(3)}'
        )
        self.posts_for_staff = (
            f'SELECT {_columns(self.post_columns)} FROM "post"'
            f' WHERE "neighbourhood_id"={m(1)} AND "deleted_at" IS NULL'
            f' ORDER BY "created_at" DESC,"id" DESC LIMIT {m(2)}'
        )
        self._in_cache: dict[tuple[str, int], str] = {}

    def _in(self, start: int, count: int) -> str:
        return ",".join(self.mark(i) for i in range(start, start + count))

    def cached(self, name: str, count: int, build: Callable[[], str]) -> str:
        key = (name, count)
        sql = self._in_cache.get(key)
        if sql is None:
            sql = self._in_cache[key] = build()
        return sql

    def neighbourhoods(self, count: int) -> str:
        return self.cached(
            "neighbourhood",
            count,
            lambda: (
                f'SELECT {_columns(self.neighbourhood_columns)} FROM "neighbourhood"'
                f' WHERE "id" IN ({self._in(1, count)})'
            ),
        )

    def accounts(self, count: int) -> str:
        return self.cached(
            "account",
            count,
            lambda: (
                f'SELECT {_columns(self.account_columns)} FROM "account"'
                f' WHERE "id" IN ({self._in(1, count)})'
            ),
        )

    def topics(self, count: int) -> str:
        return self.cached(
            "post_topic",
            count,
            lambda: (
                f"SELECT {_joined('post_topic', self.post_topic_columns, 'post_topic__topic', self.topic_columns)}"
                ' FROM "post_topic" LEFT OUTER JOIN "topic" "post_topic__topic"'
                ' ON "post_topic__topic"."id"="post_topic"."topic_id"'
                f' WHERE "post_topic"."post_id" IN ({self._in(1, count)})'
            ),
        )

    def reacted(self, count: int) -> str:
        return self.cached(
            "reaction",
            count,
            lambda: (
                f'SELECT "post_id" "0" FROM "reaction" WHERE "post_id" IN ({self._in(1, count)})'
                f' AND "account_id"={self.mark(count + 1)}'
            ),
        )


def _datetime(value: Any) -> datetime | None:
    """A column's value as Tortoise gives it with use_tz=True and timezone UTC."""
    if value is None:
        return None
    if isinstance(value, str):  # SQLite stores isoformat(" ")
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _dumps(data: Any) -> bytes:
    # What strawberry.http.base.BaseView.encode_json does (ensure_ascii stays on).
    return json.dumps(data, separators=(",", ":")).encode()


def _json(data: Any, status: int = 200) -> Response:
    return Response(_dumps(data), status_code=status, media_type="application/json")


def _refused(message: str, code: str, status: int = 400) -> Response:
    return _json(
        {"data": None, "errors": [{"message": message, "extensions": {"code": code}}]}, status
    )


class FeedEndpoint:
    def __init__(self) -> None:
        self._statements: Statements | None = None

    @property
    def sql(self) -> Statements:
        if self._statements is None:
            self._statements = Statements(connections.get("default").capabilities.dialect)
        return self._statements

    async def viewer(self, request: Request) -> dict[str, Any] | None:
        """The account behind the bearer token, as resolvers.tokens.authenticate decides."""
        raw = bearer_token(request)
        if raw is None or not raw.startswith(PREFIX) or len(raw) > 200:
            return None
        digest = hashlib.sha256(raw.encode()).hexdigest()
        conn = connections.get("default")
        rows = await conn.execute_query_dict(self.sql.auth, [digest, 1])
        if not rows:
            return None
        row = rows[0]
        moment = datetime.now(UTC)
        expires_at = _datetime(row["expires_at"])
        if expires_at is not None and expires_at <= moment:
            return None
        account = {c: row[f"auth_token__account.{c}"] for c in self.sql.account_columns}
        suspended = _datetime(account["suspended_until"])
        if suspended is not None and suspended > moment:
            return None
        return account

    async def handle(self, request: Request) -> Response:
        try:
            payload = json.loads(await request.body())
            variables = payload.get("variables") or {}
            raw_id = variables["id"]
            first = variables.get("first", 20)
        except (ValueError, KeyError, TypeError, AttributeError):
            return _refused("Requête illisible.", "BAD_REQUEST")
        if any(variables.get(k) is not None for k in ("after", "kind", "topic")):
            return _refused("after, kind et topic ne sont pas pris en charge ici.", "UNSUPPORTED")
        if first is None:
            first = 20
        if not isinstance(first, int) or first < 1 or first > MAX_PAGE_SIZE:
            return _refused(f"`first` doit être compris entre 1 et {MAX_PAGE_SIZE}.", "UNSUPPORTED")

        viewer = await self.viewer(request)
        if viewer is None:
            return _json(
                {
                    "data": {"neighbourhood": None},
                    "errors": [
                        {
                            "message": "Connectez-vous pour continuer.",
                            "path": ["neighbourhood"],
                            "extensions": {"code": "UNAUTHENTICATED"},
                        }
                    ],
                }
            )
        return _json({"data": {"neighbourhood": await self.neighbourhood(viewer, raw_id, first)}})

    async def neighbourhood(
        self, viewer: dict[str, Any], raw_id: Any, first: int
    ) -> dict[str, Any] | None:
        pk = decode_id(raw_id, "Neighbourhood") if isinstance(raw_id, str) else None
        if pk is None:
            return None
        conn = connections.get("default")
        rows = await conn.execute_query_dict(self.sql.neighbourhoods(1), [pk])
        if not rows or not _can_view_neighbourhood(viewer, rows[0]):
            return None
        row = rows[0]
        return {
            "id": to_global_id("Neighbourhood", row["id"]),
            "name": row["name"],
            "isActive": row["activated_at"] is not None,
            # CanReadNeighbourhoodPosts is the same predicate: checked above.
            "posts": await self.posts(viewer, row["id"], first),
        }

    async def posts(
        self, viewer: dict[str, Any], neighbourhood_id: int, first: int
    ) -> dict[str, Any]:
        conn = connections.get("default")
        if viewer["role"] in STAFF:
            sql, values = self.sql.posts_for_staff, [neighbourhood_id, first + 1]
        else:
            sql, values = self.sql.posts, [viewer["id"], neighbourhood_id, first + 1]
        rows = await conn.execute_query_dict(sql, values)
        has_next = len(rows) > first
        rows = rows[:first]
        for row in rows:
            row["created_at"] = _datetime(row["created_at"])
        readable = [_can_read_post_content(viewer, row) for row in rows]
        discussable = [_can_read_post_discussion(viewer, row) for row in rows]

        # The three DataLoaders of the page, dispatched together as Strawberry dispatches them.
        author_keys = dict.fromkeys(
            r["author_id"] for r, ok in zip(rows, discussable, strict=True) if ok
        )
        post_keys = dict.fromkeys(r["id"] for r in rows)
        authors, topics, reacted = await asyncio.gather(
            self.authors(author_keys),
            self.topics(post_keys),
            self.reacted(post_keys, viewer["id"]),
        )

        hide_names = viewer["role"] in CITY
        edges = []
        for row, ok, talk in zip(rows, readable, discussable, strict=True):
            cursor = encode_cursor(row["created_at"], row["id"])
            author = authors.get(row["author_id"]) if talk else None
            edges.append(
                {
                    "cursor": cursor,
                    "node": {
                        "id": to_global_id("Post", row["id"]),
                        "kind": row["kind"],
                        "title": row["title"] if ok else None,
                        "body": row["body"] if ok else None,
                        "createdAt": row["created_at"].isoformat(),
                        "author": {
                            "id": to_global_id("Resident", author["id"]),
                            "displayName": None if hide_names else author["display_name"],
                        }
                        if author is not None
                        else None,
                        "topics": topics.get(row["id"], []),
                        "commentCount": row["comment_count"],
                        "reactionCount": row["reaction_count"],
                        "viewerHasReacted": row["id"] in reacted,
                    },
                }
            )
        return {
            "edges": edges,
            "pageInfo": {
                "hasNextPage": has_next,
                "endCursor": edges[-1]["cursor"] if edges else None,
            },
        }

    async def authors(self, keys: dict[int, None]) -> dict[int, dict[str, Any]]:
        if not keys:
            return {}
        ids = list(set(keys))
        rows = await connections.get("default").execute_query_dict(self.sql.accounts(len(ids)), ids)
        return {row["id"]: row for row in rows}

    async def topics(self, keys: dict[int, None]) -> dict[int, list[dict[str, str]]]:
        if not keys:
            return {}
        ids = list(set(keys))
        rows = await connections.get("default").execute_query_dict(self.sql.topics(len(ids)), ids)
        by_post: dict[int, list[tuple[str, str]]] = defaultdict(list)
        for row in rows:
            by_post[row["post_id"]].append(
                (row["post_topic__topic.slug"], row["post_topic__topic.label"])
            )
        return {
            post_id: [{"slug": slug, "label": label} for slug, label in sorted(pairs)]
            for post_id, pairs in by_post.items()
        }

    async def reacted(self, keys: dict[int, None], viewer_id: int) -> set[int]:
        if not keys:
            return set()
        ids = list(set(keys))
        rows = await connections.get("default").execute_query_dict(
            self.sql.reacted(len(ids)), [*ids, viewer_id]
        )
        return {row["0"] for row in rows}


def _can_view_neighbourhood(viewer: dict[str, Any], neighbourhood: dict[str, Any]) -> bool:
    if viewer["role"] in STAFF:
        return True
    if viewer["role"] in CITY:
        return viewer["city_id"] == neighbourhood["city_id"]
    return viewer["neighbourhood_id"] == neighbourhood["id"]


def _can_read_post_discussion(viewer: dict[str, Any], post: dict[str, Any]) -> bool:
    if viewer["role"] in CITY:
        return False
    return viewer["role"] in STAFF or viewer["neighbourhood_id"] == post["neighbourhood_id"]


def _can_read_post_content(viewer: dict[str, Any], post: dict[str, Any]) -> bool:
    if viewer["role"] in STAFF:
        return True
    if viewer["role"] in CITY:
        return bool(post["share_with_city"])
    return viewer["neighbourhood_id"] == post["neighbourhood_id"]


async def health(_request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def create_app(settings: Settings | None = None, *, manage_database: bool = True) -> Starlette:
    """The same database start and stop, and pool size, as server.app.create_app."""
    settings = settings or Settings.from_env()

    return Starlette(
        routes=[
            Route("/graphql", FeedEndpoint().handle, methods=["POST"]),
            Route("/healthz", health),
        ],
        lifespan=db.lifespan(
            settings.database_url, settings.db_pool_max, manage_database=manage_database
        ),
    )


def app_from_env() -> Starlette:
    """Factory for uvicorn (`bench.bare:app_from_env`, with --factory)."""
    return create_app()
