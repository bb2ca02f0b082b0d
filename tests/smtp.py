"""A real SMTP server for the tests (aiosmtpd, on a free loopback port, in a thread), that
keeps what it receives as parsed e-mails; it can be told to refuse for a while."""

from __future__ import annotations

import email
import email.policy
import threading
import time
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from tests.processes import free_port


class Sink:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse_with: str | None = None
        self.lock = threading.Lock()

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        if self.refuse_with:
            return self.refuse_with
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        with self.lock:
            self.messages.append(parsed)
        return "250 OK"

    def received(self) -> list[EmailMessage]:
        with self.lock:
            return list(self.messages)

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.received() if address in str(m["To"])]

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()

    def wait_for(
        self, predicate: Callable[[list[EmailMessage]], bool], seconds: float = 20
    ) -> list[EmailMessage]:
        """Polls until `predicate(received)` holds; fails with what arrived otherwise."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            got = self.received()
            if predicate(got):
                return got
            time.sleep(0.05)
        subjects = [str(m["Subject"]) + " -> " + str(m["To"]) for m in self.received()]
        raise AssertionError(f"the expected e-mails did not arrive in {seconds} s: {subjects}")


class SmtpServer:
    def __init__(self) -> None:
        self.sink = Sink()
        self.port = free_port()
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.controller.stop()


def text_part(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return part.get_content().replace("\r\n", "\n")


def html_part(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return part.get_content().replace("\r\n", "\n")
