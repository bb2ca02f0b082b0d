"""How an e-mail leaves: over SMTP (aiosmtplib), or into a folder as a .eml file when no
SMTP server is configured (development, the demo), its subject logged."""

from __future__ import annotations

import asyncio
import logging
import re
from contextlib import AbstractAsyncContextManager
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Protocol
from urllib.parse import unquote, urlsplit

import aiosmtplib

from server.settings import Settings

log = logging.getLogger("quartier.mail")
SMTP_TIMEOUT = 30


class TransportError(Exception):
    """The message was not accepted; `permanent` when trying again cannot help."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class Transport(Protocol):
    async def send(self, message: EmailMessage, name: str) -> None: ...


class FolderTransport:
    """One .eml file per e-mail, named after its outbox row."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def __aenter__(self) -> FolderTransport:
        self.directory.mkdir(parents=True, exist_ok=True)
        return self

    async def __aexit__(self, *_exc: object) -> None:
        return None

    async def send(self, message: EmailMessage, name: str) -> None:
        path = self.directory / f"{name}.eml"
        await asyncio.to_thread(path.write_bytes, message.as_bytes())
        log.info("e-mail written to %s: %s", path, message["Subject"])


class SmtpTransport:
    """One SMTP connection per batch. smtp:// is plain, smtp+starttls:// upgrades with
    STARTTLS (required), smtps:// is TLS from the first byte."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        scheme = parts.scheme
        self.client = aiosmtplib.SMTP(
            hostname=parts.hostname or "127.0.0.1",
            port=parts.port or {"smtps": 465, "smtp+starttls": 587}.get(scheme, 25),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            use_tls=scheme == "smtps",
            # None lets aiosmtplib upgrade when offered; starttls:// insists.
            start_tls=scheme == "smtp+starttls",
            timeout=SMTP_TIMEOUT,
        )

    async def __aenter__(self) -> SmtpTransport:
        try:
            await self.client.connect()
        except (aiosmtplib.SMTPException, OSError) as error:
            raise TransportError(f"SMTP connection failed: {_short(error)}") from None
        return self

    async def __aexit__(
        self, _t: type[BaseException] | None, _e: BaseException | None, _tb: TracebackType | None
    ) -> None:
        try:
            await self.client.quit()
        except (aiosmtplib.SMTPException, OSError):
            self.client.close()

    async def send(self, message: EmailMessage, name: str) -> None:
        try:
            await self.client.send_message(message)
        except aiosmtplib.SMTPRecipientsRefused as error:
            raise TransportError(f"recipient refused: {_short(error)}", permanent=True) from None
        except aiosmtplib.SMTPResponseException as error:
            # 5xx: the server will say no again; 4xx: try later.
            permanent = 500 <= error.code < 600
            raise TransportError(
                f"SMTP {error.code}: {_short(error.message)}", permanent=permanent
            ) from None
        except (aiosmtplib.SMTPException, OSError) as error:
            raise TransportError(f"SMTP error: {_short(error)}") from None


def _short(error: BaseException | str) -> str:
    return re.sub(r"\s+", " ", str(error))[:300]


def open_transport(
    settings: Settings,
) -> AbstractAsyncContextManager[FolderTransport | SmtpTransport]:
    if settings.smtp_url:
        return SmtpTransport(settings.smtp_url)
    return FolderTransport(Path(settings.mail_dir))
