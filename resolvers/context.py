"""What every resolver gets: the caller, their token, the settings and this request's loaders."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from resolvers.broadcast import NO_PUBLISHER, Publisher

if TYPE_CHECKING:
    from models.accounts import Account, AuthToken
    from resolvers.broadcast import Live
    from resolvers.loaders import Loaders
    from resolvers.rate_limits import RateCounter


@dataclass
class Context:
    viewer: Account | None
    token: AuthToken | None
    loaders: Loaders
    settings: Any
    # Starlette's request or websocket; Strawberry's views expect these keys.
    request: Any = None
    response: Any = None
    # The photo store and URL signer (resolvers/media.py); None where photos are not served.
    media: Any = None
    # Per-request memo for figures computed once and read by several fields.
    extra: dict[Any, Any] = field(default_factory=dict)
    # The reader's language (fr, nl, en) and what puts a message into it (server/i18n.py).
    language: str = "fr"
    translate: Callable[[str], str] = str
    # The client's address (the socket's peer, or X-Forwarded-For behind a trusted proxy).
    client_address: str | None = None
    # Where resolvers/rate_limits.py counts attempts; None counts nothing.
    rate_counter: RateCounter | None = None
    # The request carries the gateway's shared secret (federation's `_entities`, `_service`).
    from_gateway: bool = False
    # "query", "mutation" or "subscription", once the operation is known.
    operation_type: str | None = None
    # Where writes are announced once committed (resolvers/broadcast.py).
    publisher: Publisher = NO_PUBLISHER
    # A subscription's connection (server/live/transport.py); None over HTTP.
    live: Live | None = None
    # The trusted document the request runs (server/trusted/documents.py), parsed and
    # validated once; None for a document sent as text.
    trusted: Any = None

    # Strawberry's ASGI integration reads the context like a mapping.
    def __getitem__(self, key: str) -> Any:
        return getattr(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key, default)
