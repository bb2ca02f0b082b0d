"""Settings read from the environment, with safe defaults for a developer's machine."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from resolvers import rate_limits
from server.media.settings import MediaSettings, MediaSettingsError


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


SMTP_SCHEMES = ("smtp://", "smtp+starttls://", "smtps://")


class TrustedDocumentsMode(StrEnum):
    """What requests may send instead of, or besides, a document's text (server/trusted/)."""

    # Only text: `documentId` and Apollo's persisted-query hash are refused.
    OFF = "off"
    # Text from anyone, or the id of a trusted document.
    ALLOW = "allow"
    # Anonymous callers and residents send trusted documents only; staff, city roles and
    # API tokens may still send text.
    REQUIRE = "require"


class SettingsError(ValueError):
    """The environment describes a configuration the service refuses to run with."""


def _int(name: str, default: int, minimum: int = 1) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {value}")
    return value


def _list(name: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


def _networks(name: str) -> tuple[str, ...]:
    for item in _list(name):
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise SettingsError(f"{name}: {item!r} is not an IP address or network") from None
    return tuple(_list(name))


def _secret(name: str) -> str | None:
    """A header value: printable ASCII, and long enough not to be guessed."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    if len(raw) < 16 or not all(33 <= ord(ch) < 127 for ch in raw):
        raise SettingsError(f"{name} must be at least 16 printable ASCII characters")
    return raw


def _rate_limits(name: str) -> tuple[tuple[str, int, int], ...]:
    """`login.account=20/900,message.address=2000/600`: count per seconds."""
    known = rate_limits.names()
    chosen = []
    for item in _list(name):
        key, _, value = item.partition("=")
        count, _, seconds = value.partition("/")
        if key.strip() not in known or not count.strip().isdigit() or not seconds.strip().isdigit():
            raise SettingsError(
                f"{name}: {item!r} is not action.per=count/seconds, action.per among {known}"
            )
        chosen.append((key.strip(), int(count), int(seconds)))
    return tuple(chosen)


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite://quartier.sqlite3"
    environment: Environment = Environment.DEVELOPMENT
    cors_origins: tuple[str, ...] = ()
    token_ttl_hours: int = 24 * 30
    default_activation_threshold: int = 10
    db_pool_max: int = 10
    # Counts below this (other than 0) are suppressed in every aggregate the city sees.
    suppression_threshold: int = 5
    # Distinct verified residents whose reports hide content until a moderator decides.
    auto_hide_threshold: int = 3
    # Days after a moderator's decision (or the decision on its appeal) before hidden
    # content's words are purged (resolvers/purge.py).
    hidden_retention_days: int = 90
    # Redis shares counters and events between workers; unset, each process keeps its own.
    redis_url: str | None = None
    # Every Redis key and channel starts with it: several deployments (or test runs) may
    # share one Redis.
    redis_prefix: str = "quartier:"
    # E-mail (server/mail/): where links point, who sends, and how. Without an SMTP URL the
    # e-mails are written to `mail_dir` as .eml files (development and the demo).
    public_url: str = "http://127.0.0.1:8000"
    # The residents' web client, where notifications' e-mails lead; None: public_url.
    app_url: str | None = None
    mail_from: str = "Quartier <no-reply@quartier.localhost>"
    smtp_url: str | None = None
    mail_dir: str = "mail-outbox"
    mail_max_attempts: int = 8
    # The first retry waits this long; each next one twice as long as the one before.
    mail_retry_seconds: int = 60
    mail_batch_size: int = 50
    # Messages per second, all batches together.
    mail_rate: int = 20
    # A worker that dies holding a batch releases it after this.
    mail_lease_seconds: int = 300
    mail_poll_ms: int = 1000
    # Signs one-click unsubscribe links; required in production to send e-mail.
    secret_key: str | None = None
    # `quartier serve` runs the e-mail worker in-process (--with-worker, on with --demo).
    with_worker: bool = False
    # /metrics on the API's own port: open in development; in production only with this
    # bearer token (unset: not served there, only on `metrics_listen`).
    metrics_token: str | None = None
    # host:port of a listener that serves nothing but /metrics, started by `quartier serve`.
    metrics_listen: str | None = None
    # OpenTelemetry's own variable: traces go to this OTLP/HTTP collector; unset, no tracing.
    otlp_endpoint: str | None = None
    # Request bodies above this are refused (413) before they are read whole.
    max_body_bytes: int = 1024 * 1024
    # Proxies (addresses or networks) whose X-Forwarded-For names the client.
    trusted_proxies: tuple[str, ...] = ()
    # The gateway sends it to the subgraphs, which let only it call `_entities` and
    # `_service` in production.
    gateway_secret: str | None = None
    # Overrides of resolvers/rate_limits.py's limits: (action.per, count, seconds).
    rate_limits: tuple[tuple[str, int, int], ...] = ()
    # Photos: their store, the secret that signs their URLs, upload limits.
    media: MediaSettings = field(default_factory=MediaSettings)
    # Live updates over websockets (server/live/): subscriptions per connection, connections
    # per account, seconds between keep-alive pings and between session checks, and the
    # events one subscription may have waiting before its connection is closed.
    ws_max_subscriptions: int = 20
    ws_max_connections: int = 10
    ws_keepalive_seconds: int = 15
    ws_session_check_seconds: int = 5
    ws_buffer: int = 32
    # Trusted documents (server/trusted/): off, allow or require.
    trusted_documents: TrustedDocumentsMode = TrustedDocumentsMode.ALLOW

    @property
    def production(self) -> bool:
        return self.environment is Environment.PRODUCTION

    @classmethod
    def from_env(cls) -> Settings:
        raw_env = os.environ.get("QUARTIER_ENV", "development").strip().lower()
        try:
            environment = Environment(raw_env)
        except ValueError:
            raise SettingsError(
                f"QUARTIER_ENV must be 'development' or 'production', got {raw_env!r}"
            ) from None
        origins = tuple(
            o.strip() for o in os.environ.get("QUARTIER_CORS_ORIGINS", "").split(",") if o.strip()
        )
        if environment is Environment.PRODUCTION and not origins:
            raise SettingsError(
                "QUARTIER_CORS_ORIGINS must list the web client's origins in production"
            )
        if "*" in origins and environment is Environment.PRODUCTION:
            raise SettingsError("QUARTIER_CORS_ORIGINS may not be '*' in production")
        try:
            media = MediaSettings.from_env(
                environment is Environment.PRODUCTION,
                os.environ.get("QUARTIER_SECRET_KEY", "").strip() or None,
            )
        except MediaSettingsError as error:
            raise SettingsError(str(error)) from None
        return cls(
            database_url=os.environ.get("DATABASE_URL") or cls.database_url,
            environment=environment,
            cors_origins=origins,
            token_ttl_hours=_int("QUARTIER_TOKEN_TTL_HOURS", cls.token_ttl_hours),
            default_activation_threshold=_int(
                "QUARTIER_DEFAULT_ACTIVATION_THRESHOLD", cls.default_activation_threshold
            ),
            db_pool_max=_int("QUARTIER_DB_POOL_MAX", cls.db_pool_max),
            # At 2, a suppressed count would be known to be 1.
            suppression_threshold=_int(
                "QUARTIER_SUPPRESSION_THRESHOLD", cls.suppression_threshold, minimum=3
            ),
            auto_hide_threshold=_int("QUARTIER_AUTO_HIDE_THRESHOLD", cls.auto_hide_threshold),
            hidden_retention_days=_int("QUARTIER_HIDDEN_RETENTION_DAYS", cls.hidden_retention_days),
            redis_url=os.environ.get("QUARTIER_REDIS_URL", "").strip() or None,
            redis_prefix=os.environ.get("QUARTIER_REDIS_PREFIX", "").strip() or cls.redis_prefix,
            max_body_bytes=_int("QUARTIER_MAX_BODY_BYTES", cls.max_body_bytes, minimum=1024),
            trusted_proxies=_networks("QUARTIER_TRUSTED_PROXIES"),
            gateway_secret=_secret("QUARTIER_GATEWAY_SECRET"),
            rate_limits=_rate_limits("QUARTIER_RATE_LIMITS"),
            **_mail_settings(cls),
            metrics_token=_metrics_token(),
            metrics_listen=_listen_address("QUARTIER_METRICS_LISTEN"),
            otlp_endpoint=os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT", "").strip() or None,
            media=media,
            **_live_settings(cls),
            trusted_documents=_trusted_documents(),
        )


def _trusted_documents() -> TrustedDocumentsMode:
    raw = os.environ.get("QUARTIER_TRUSTED_DOCUMENTS", "").strip().lower()
    try:
        return TrustedDocumentsMode(raw or Settings.trusted_documents)
    except ValueError:
        raise SettingsError(
            f"QUARTIER_TRUSTED_DOCUMENTS must be 'off', 'allow' or 'require', got {raw!r}"
        ) from None


def _text(name: str, default: str) -> str:
    return os.environ.get(name, "").strip() or default


def _mail_settings(cls: type[Settings]) -> dict[str, Any]:
    smtp_url = os.environ.get("QUARTIER_SMTP_URL", "").strip() or None
    if smtp_url is not None and not smtp_url.startswith(SMTP_SCHEMES):
        raise SettingsError(
            "QUARTIER_SMTP_URL must start with smtp://, smtp+starttls:// or smtps://"
        )
    public_url = _text("QUARTIER_PUBLIC_URL", cls.public_url).rstrip("/")
    if not public_url.startswith(("http://", "https://")):
        raise SettingsError(f"QUARTIER_PUBLIC_URL must be an http(s) URL, got {public_url!r}")
    app_url = os.environ.get("QUARTIER_APP_URL", "").strip().rstrip("/") or None
    if app_url is not None and not app_url.startswith(("http://", "https://")):
        raise SettingsError(f"QUARTIER_APP_URL must be an http(s) URL, got {app_url!r}")
    return {
        "public_url": public_url,
        "app_url": app_url,
        "mail_from": _text("QUARTIER_MAIL_FROM", cls.mail_from),
        "smtp_url": smtp_url,
        "mail_dir": _text("QUARTIER_MAIL_DIR", cls.mail_dir),
        "mail_max_attempts": _int("QUARTIER_MAIL_MAX_ATTEMPTS", cls.mail_max_attempts),
        "mail_retry_seconds": _int("QUARTIER_MAIL_RETRY_SECONDS", cls.mail_retry_seconds),
        "mail_batch_size": _int("QUARTIER_MAIL_BATCH_SIZE", cls.mail_batch_size),
        "mail_rate": _int("QUARTIER_MAIL_RATE", cls.mail_rate),
        "mail_lease_seconds": _int("QUARTIER_MAIL_LEASE_SECONDS", cls.mail_lease_seconds),
        "mail_poll_ms": _int("QUARTIER_MAIL_POLL_MS", cls.mail_poll_ms),
        "secret_key": os.environ.get("QUARTIER_SECRET_KEY", "").strip() or None,
        "with_worker": os.environ.get("QUARTIER_WITH_WORKER", "").strip() in ("1", "true"),
    }


# A token short enough to guess would open the metrics to anyone who tries.
METRICS_TOKEN_MIN = 24


def _metrics_token() -> str | None:
    token = os.environ.get("QUARTIER_METRICS_TOKEN", "").strip() or None
    if token is not None and len(token) < METRICS_TOKEN_MIN:
        raise SettingsError(
            f"QUARTIER_METRICS_TOKEN must be at least {METRICS_TOKEN_MIN} characters long"
        )
    return token


def _listen_address(name: str) -> str | None:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    host, _, port = raw.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise SettingsError(f"{name} must be host:port (such as 0.0.0.0:9100), got {raw!r}")
    return raw


def listen_address(raw: str) -> tuple[str, int]:
    """`host:port` (validated by the settings) as a pair; `[::1]:9100` gives `::1`."""
    host, _, port = raw.rpartition(":")
    return host.strip("[]"), int(port)


def _live_settings(cls: type[Settings]) -> dict[str, Any]:
    return {
        "ws_max_subscriptions": _int("QUARTIER_WS_MAX_SUBSCRIPTIONS", cls.ws_max_subscriptions),
        "ws_max_connections": _int("QUARTIER_WS_MAX_CONNECTIONS", cls.ws_max_connections),
        "ws_keepalive_seconds": _int("QUARTIER_WS_KEEPALIVE_SECONDS", cls.ws_keepalive_seconds),
        "ws_session_check_seconds": _int(
            "QUARTIER_WS_SESSION_CHECK_SECONDS", cls.ws_session_check_seconds
        ),
        "ws_buffer": _int("QUARTIER_WS_BUFFER", cls.ws_buffer),
    }
