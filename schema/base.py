"""Building blocks every domain uses: connections, user errors, enums."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

import strawberry
from strawberry.types import Info
from strawberry.types.private import is_private

from models.accounts import LetterStatus, Role
from models.community import PostKind
from models.moderation import ReportReason, ReportStatus
from permissions import IsAuthorOrStaff, content
from resolvers import reasons
from resolvers.errors import DESCRIPTIONS, ErrorCode, UserErrors
from resolvers.pagination import Beyond, Page

T = TypeVar("T")
R = TypeVar("R")

strawberry.enum(Role, description="An account's role.")
strawberry.enum(PostKind, description="What kind of post it is.")
strawberry.enum(ReportReason, description="Why content is reported.")
strawberry.enum(ReportStatus, description="Where a report stands.")
strawberry.enum(LetterStatus, description="Where a verification letter stands.")
strawberry.enum(
    ErrorCode,
    name="UserErrorCode",
    description="Why a mutation refused its input: a closed set clients can switch on.",
)
for _value in ErrorCode.__strawberry_definition__.values:  # type: ignore[attr-defined]
    _value.description = DESCRIPTIONS[ErrorCode(_value.value)]


class RequestInfo(Info):
    """Strawberry's `Info`, whose `context` is read once, when it is made, rather than through
    a property on every read: permission classes and resolvers read it about a hundred times
    in a feed request. Strawberry makes one per field (`StrawberryConfig.info_class`), and
    the fast path one per field and request."""

    # A plain class attribute before Strawberry's property in the lookup: the instance's
    # own attribute is then read.
    context: Any = None

    def __init__(self, _raw_info: Any, _field: Any) -> None:
        self._raw_info = _raw_info
        self._field = _field
        self.context = _raw_info.context


@strawberry.type(description="Where a page of a list stands (Relay).")
class PageInfo:
    next: strawberry.Private[Beyond]
    previous: strawberry.Private[Beyond]
    start_cursor: str | None = strawberry.field(
        description="The cursor of the first edge, for `before` (null without edges)."
    )
    end_cursor: str | None = strawberry.field(
        description="The cursor of the last edge, for `after` (null without edges)."
    )

    @strawberry.field(description="Whether edges follow the last one.")
    async def has_next_page(self) -> bool:
        return await _known(self.next)

    @strawberry.field(
        description="Whether edges precede the first one: on a page fetched with `after`, "
        "whether anything lies behind that cursor; on a first page, false."
    )
    async def has_previous_page(self) -> bool:
        return await _known(self.previous)


async def _known(beyond: Beyond) -> bool:
    return beyond if isinstance(beyond, bool) else await beyond()


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


def contribute(target: type, part: type) -> None:
    """Adds the fields of `part`, a domain's Strawberry type, to another domain's `target`, the
    way `Query` is composed of per-domain parts: the module that owns `target` imports nothing
    of the contributing domain, so the schema's modules import in one direction. A domain
    contributes when it is imported; schema/schemas.py imports every domain before it builds."""
    fields = target.__strawberry_definition__.fields  # type: ignore[attr-defined]
    taken = {field.python_name for field in fields}
    for field in part.__strawberry_definition__.fields:  # type: ignore[attr-defined]
        if field in fields or is_private(field.type):
            continue
        if field.python_name in taken:
            raise TypeError(f"{target.__name__}.{field.python_name} is declared twice")
        fields.append(field)


@strawberry.type(description="A page of a list, ordered by a cursor (Relay).")
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo

    @classmethod
    def of(cls, page: Page[Any], wrap: Callable[[Any], T]) -> Connection[T]:
        edges = [Edge(cursor=page.cursor(row), node=wrap(row)) for row in page.rows]
        return cls(
            edges=edges,
            page_info=PageInfo(
                next=page.has_next,
                previous=page.has_previous,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
        )

    @classmethod
    def empty(cls) -> Connection[T]:
        return cls.of(Page.empty(), lambda row: row)


@strawberry.interface(
    description="An object with an ID unique across types, which `node(id:)` and `nodes(ids:)` "
    "fetch again (Relay's object identification)."
)
class Node:
    @strawberry.field(description="Opaque, unique across types; names its type.")
    def id(self) -> strawberry.ID:
        raise NotImplementedError


@strawberry.interface(description="Content that moderation can hide.")
class Hideable:
    row: strawberry.Private[Any]

    @strawberry.field(description="True when a moderator (or enough reports) hid it.")
    def hidden(self) -> bool:
        return self.row.hidden_at is not None

    @strawberry.field(
        description="Why the content is hidden.",
        extensions=content(IsAuthorOrStaff),
    )
    def hidden_reason(self, info: Info) -> str | None:
        return reasons.shown(self.row.hidden_reason, info.context.translate)


@strawberry.type(description="An error the user can fix.")
class UserError:
    field: str | None = strawberry.field(description="The input field at fault, if there is one.")
    code: ErrorCode = strawberry.field(description="A stable code, for the client to switch on.")
    # The resolver's message, in French with its values (permissions/text.py).
    text: strawberry.Private[str]
    retry_after: int | None = strawberry.field(
        default=None,
        description="Seconds to wait before trying again; set with RATE_LIMITED only.",
    )

    @strawberry.field(
        description="A readable message in the caller's language: the account's preference, "
        "else the request's Accept-Language (fr, nl, en), else French."
    )
    def message(self, info: Info) -> str:
        return info.context.translate(self.text)


def user_errors(error: UserErrors) -> list[UserError]:
    return [
        UserError(field=e.field, code=e.code, text=e.message, retry_after=e.retry_after)
        for e in error.errors
    ]


async def attempt(
    action: Awaitable[R], payload: Callable[[R], T], failed: Callable[[list[UserError]], T]
) -> T:
    """Run a mutation: its result in a payload, or its userErrors when it wrote nothing."""
    try:
        result = await action
    except UserErrors as error:
        return failed(user_errors(error))
    return payload(result)
