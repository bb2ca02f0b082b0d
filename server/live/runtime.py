"""One process's live updates: the broker, the hub, the connection cap and the session checks,
built from the settings and started on first use."""

from __future__ import annotations

from typing import TYPE_CHECKING

from resolvers.broadcast import Publisher
from server.live.broker import broker_for
from server.live.hub import Hub
from server.live.presence import LocalPresence, Presence
from server.live.sessions import Sessions

if TYPE_CHECKING:
    from server.settings import Settings

# A connection whose process stopped refreshing it stops counting after this many checks.
STALE_AFTER_CHECKS = 3


class LiveRuntime:
    def __init__(self, settings: Settings, account_columns: tuple[str, ...] | None = None) -> None:
        self.settings = settings
        # The city subgraph may read only some columns of an account (server/city_auth.py).
        self.account_columns = account_columns
        broker = broker_for(settings.redis_url, settings.redis_prefix)
        self.hub = Hub(broker, settings.ws_buffer)
        self.presence: Presence
        if settings.redis_url is not None:
            from server.live.redis_backend import RedisBroker, RedisPresence

            assert isinstance(broker, RedisBroker)
            ttl = max(30.0, STALE_AFTER_CHECKS * settings.ws_session_check_seconds)
            self.presence = RedisPresence(
                broker.client, settings.redis_prefix, settings.ws_max_connections, ttl
            )
        else:
            self.presence = LocalPresence(settings.ws_max_connections)
        self.sessions = Sessions(settings.ws_session_check_seconds, self.presence, account_columns)
        self.hub.session_handlers.append(self.sessions.account_changed)
        self.publisher = Publisher(self.hub)

    async def stop(self) -> None:
        await self.sessions.stop()
        await self.hub.stop()
