"""Where the e-mails' links lead, and the signed token of one-click unsubscribe links.

An unsubscribe link must work without signing in (RFC 8058: a mail client POSTs to it), so
it carries the account and the kind, signed with the deployment's secret key: nothing to
store, nothing to look up, and a forged or altered link is refused."""

from __future__ import annotations

import base64
import hashlib
import hmac

from models.mail import PreferenceKind
from server.settings import Settings

CONFIRM_PATH = "/account/confirm-email"
RESET_PATH = "/account/reset-password"
UNSUBSCRIBE_PATH = "/mail/unsubscribe"
# In the residents' web client (QUARTIER_APP_URL): where notifications' e-mails lead.
APP_NOTIFICATIONS_PATH = "/notifications"
APP_CONVERSATION_PATH = "/conversations/{id}"
# Development only: production refuses to send e-mail without QUARTIER_SECRET_KEY.
DEVELOPMENT_KEY = "quartier-development-key"


def _key(settings: Settings) -> bytes:
    return (settings.secret_key or DEVELOPMENT_KEY).encode()


def _mac(settings: Settings, payload: str) -> str:
    digest = hmac.new(_key(settings), f"unsubscribe:{payload}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()[:18]).decode()


def unsubscribe_token(settings: Settings, account_id: int, kind: PreferenceKind) -> str:
    payload = f"{account_id}.{kind.value}"
    return f"{payload}.{_mac(settings, payload)}"


def read_unsubscribe_token(settings: Settings, token: str) -> tuple[int, PreferenceKind] | None:
    """(account id, preference kind) of a genuine token; None for anything else."""
    parts = token.split(".")
    if len(parts) != 3 or len(token) > 200:
        return None
    account, kind, mac = parts
    if not hmac.compare_digest(mac, _mac(settings, f"{account}.{kind}")):
        return None
    if not account.isdigit() or kind not in PreferenceKind.__members__:
        return None
    return int(account), PreferenceKind(kind)
