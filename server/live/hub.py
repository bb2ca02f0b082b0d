"""This process's subscriptions by topic, and the fan-out of each event to them.

Events are dispatched one at a time, in the order they arrive: an event's rows are loaded once
(resolvers/live.py `prepare`) and handed to each subscription's inbox. An inbox holds
`buffer` events; a subscriber that lets it fill (its client reads slower than events come)
has its connection closed rather than the process holding ever more for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Protocol

from resolvers.broadcast import Event, SessionChanged
from resolvers.live import Prepared, prepare
from server.live.broker import Broker, stopped

log = logging.getLogger("quartier.live")
# Events waiting for dispatch in one process; past it they are dropped (and logged).
INBOX_MAX = 10_000


class Owner(Protocol):
    """The connection a subscription runs on."""

    @property
    def account_id(self) -> int: ...

    def overflowed(self) -> None:
        """Its buffer is full: end the connection."""


class Listener:
    """One subscription's inbox."""

    def __init__(self, owner: Owner, size: int) -> None:
        self.owner = owner
        self.queue: asyncio.Queue[Prepared] = asyncio.Queue(maxsize=size)
        self.waiting = False

    def offer(self, prepared: Prepared) -> None:
        try:
            self.queue.put_nowait(prepared)
        except asyncio.QueueFull:
            self.owner.overflowed()

    async def events(self) -> AsyncIterator[Prepared]:
        while True:
            self.waiting = True
            try:
                prepared = await self.queue.get()
            finally:
                self.waiting = False
            yield prepared


class Hub:
    def __init__(self, broker: Broker, buffer: int) -> None:
        self.broker = broker
        self.buffer = buffer
        self.topics: dict[str, set[Listener]] = defaultdict(set)
        self.session_handlers: list[Callable[[int], Awaitable[None]]] = []
        self.inbox: asyncio.Queue[Event] = asyncio.Queue(maxsize=INBOX_MAX)
        self.dispatcher: asyncio.Task[None] | None = None
        self.busy = False
        self._starting = asyncio.Lock()

    async def start(self) -> None:
        """Starts dispatching on first use: tests drive the app without its lifespan."""
        if self.dispatcher is not None:
            return
        async with self._starting:
            if self.dispatcher is None:
                # A context of its own: nothing of the request that started it (a transaction,
                # say) may leak into every dispatch after it.
                self.dispatcher = asyncio.create_task(
                    self._run(), name="live-dispatcher", context=contextvars.Context()
                )
                await self.broker.start(self.deliver)

    async def stop(self) -> None:
        await stopped(self.dispatcher)
        self.dispatcher = None
        await self.broker.stop()

    async def send(self, event: Event) -> None:
        """Publish (the `Sink` of resolvers' publisher)."""
        await self.broker.send(event)

    def deliver(self, event: Event) -> None:
        try:
            self.inbox.put_nowait(event)
        except asyncio.QueueFull:
            log.error("live event %s dropped: %d events wait for dispatch", event.kind, INBOX_MAX)

    @contextlib.asynccontextmanager
    async def listen(
        self, topics: tuple[str, ...], owner: Owner
    ) -> AsyncIterator[AsyncIterator[Prepared]]:
        """One inbox for the events of all these topics (no event is on two of them)."""
        await self.start()
        listener = Listener(owner, self.buffer)
        for topic in topics:
            self.topics[topic].add(listener)
        try:
            yield listener.events()
        finally:
            for topic in topics:
                listeners = self.topics.get(topic)
                if listeners is not None:
                    listeners.discard(listener)
                    if not listeners:
                        del self.topics[topic]

    async def _run(self) -> None:
        while True:
            event = await self.inbox.get()
            self.busy = True
            try:
                await self._dispatch(event)
            except Exception:
                # A database hiccup loses this event for this process, not the next ones.
                log.exception("live event %s could not be dispatched", event.kind)
            finally:
                self.busy = False

    async def _dispatch(self, event: Event) -> None:
        if isinstance(event, SessionChanged):
            for handler in self.session_handlers:
                await handler(event.account_id)
            return
        listeners = {each for topic in event.topics() for each in self.topics.get(topic, ())}
        if not listeners:
            return
        prepared = await prepare(event, {each.owner.account_id for each in listeners})
        for listener in listeners:
            listener.offer(prepared)

    def idle(self) -> bool:
        return (
            self.inbox.empty()
            and not self.busy
            and all(
                each.waiting and each.queue.empty()
                for listeners in self.topics.values()
                for each in listeners
            )
        )

    async def settled(self) -> None:
        """Waits until every event received so far has been handed out and every subscription
        is waiting for the next (so has sent what it had): for tests in this process, under
        their own `asyncio.timeout`."""
        # Polled: idleness spans every inbox and the dispatcher, no one event says it.
        while not self.idle():  # noqa: ASYNC110
            await asyncio.sleep(0.01)
