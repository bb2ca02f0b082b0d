"""Photo settings from the environment: where files go, and the secret that signs their URLs.
(How many uploads an account may make: resolvers/rate_limits.py, Action.UPLOAD.)"""

from __future__ import annotations

import hmac
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_DIRECTORY = "quartier-media"
SECRET_FILE = ".url-secret"


class MediaSettingsError(ValueError):
    """The environment describes a photo store the service refuses to run with."""


@dataclass(frozen=True)
class S3Settings:
    bucket: str
    endpoint: str | None = None
    region: str = "us-east-1"
    access_key_id: str | None = None
    secret_access_key: str | None = field(default=None, repr=False)
    # Prepended to every key: one bucket may hold several deployments.
    prefix: str = ""


@dataclass(frozen=True)
class MediaSettings:
    # The embedded default store, and where the development secret is kept.
    directory: str = DEFAULT_DIRECTORY
    # Set: photos go to this bucket instead of the directory.
    s3: S3Settings | None = None
    # Signs photo URLs; every worker and host serving /media must have the same.
    url_secret: str | None = field(default=None, repr=False)
    # Where clients reach /media, when not at the GraphQL request's own base URL (behind
    # the gateway, say).
    base_url: str | None = None

    @classmethod
    def from_env(cls, production: bool, secret_key: str | None = None) -> MediaSettings:
        """`secret_key` (QUARTIER_SECRET_KEY) signs photo URLs when no secret of their own
        is set, through a key derived for them alone."""
        env = os.environ
        bucket = env.get("QUARTIER_MEDIA_S3_BUCKET", "").strip()
        s3 = None
        if bucket:
            s3 = S3Settings(
                bucket=bucket,
                endpoint=env.get("QUARTIER_MEDIA_S3_ENDPOINT", "").strip() or None,
                region=env.get("QUARTIER_MEDIA_S3_REGION", "").strip() or S3Settings.region,
                access_key_id=env.get("QUARTIER_MEDIA_S3_ACCESS_KEY_ID", "").strip() or None,
                secret_access_key=env.get("QUARTIER_MEDIA_S3_SECRET_ACCESS_KEY", "").strip()
                or None,
                prefix=env.get("QUARTIER_MEDIA_S3_PREFIX", "").strip(),
            )
        secret = env.get("QUARTIER_MEDIA_URL_SECRET", "").strip() or None
        if secret is not None and len(secret) < 32:
            raise MediaSettingsError("QUARTIER_MEDIA_URL_SECRET must be at least 32 characters")
        if secret is None and secret_key:
            secret = hmac.new(secret_key.encode(), b"quartier photo URLs", "sha256").hexdigest()
        # Hosts that share a bucket share no directory to keep a generated secret in.
        if production and s3 is not None and secret is None:
            raise MediaSettingsError(
                "QUARTIER_MEDIA_URL_SECRET (or QUARTIER_SECRET_KEY) is required in production "
                "with an S3 bucket"
            )
        return cls(
            directory=env.get("QUARTIER_MEDIA_DIR", "").strip() or DEFAULT_DIRECTORY,
            s3=s3,
            url_secret=secret,
            base_url=env.get("QUARTIER_MEDIA_BASE_URL", "").strip() or None,
        )


def url_secret(settings: MediaSettings) -> bytes:
    """The configured secret, or one generated once in the media directory and read by every
    worker after (development and single-host deployments need no setting)."""
    if settings.url_secret:
        return settings.url_secret.encode()
    path = Path(settings.directory) / SECRET_FILE
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{SECRET_FILE}.{secrets.token_hex(4)}")
    partial.write_bytes(secrets.token_urlsafe(48).encode())
    partial.chmod(0o600)
    try:
        # link() fails if another worker got there first: theirs is the secret.
        os.link(partial, path)
    except FileExistsError:
        pass
    finally:
        partial.unlink()
    return path.read_bytes()
