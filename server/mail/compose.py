"""An outbox row, rendered in its reader's language: a multipart e-mail with a text and an
HTML part, a Message-ID that derives from the row (so a resend carries the same one) and,
for bulk e-mails, the one-click unsubscribe headers of RFC 8058."""

from __future__ import annotations

import email.policy
import html
from collections.abc import Callable
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from urllib.parse import urlencode

from models.accounts import Account, Language
from models.city import Announcement
from models.mail import MailKind, OutboxMessage
from models.moderation import ModerationKind
from resolvers.ids import to_global_id
from resolvers.outbox import NOTICE_PREFERENCES, preference_for
from server.i18n import translate
from server.mail import links, templates
from server.mail.templates import Content
from server.settings import Settings

HEADERS_POLICY = email.policy.SMTP.clone(max_line_length=998)


class Unsendable(ValueError):
    """The row cannot become a valid e-mail (no address, a header that would break)."""


@dataclass
class Recipient:
    account: Account | None
    announcement: Announcement | None = None
    city_name: str = ""
    # A private message's e-mail names who wrote (read when sending), never what.
    sender_name: str = ""


def _clean_header(value: str) -> str:
    # The API refuses control characters where a header takes user text; this is the last
    # line of defence should one get through anyway: nothing is sent.
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise Unsendable("control character in a header")
    return value


def _domain(settings: Settings) -> str:
    return parseaddr(settings.mail_from)[1].rpartition("@")[2] or "quartier.localhost"


def message_id(row: OutboxMessage, settings: Settings) -> str:
    return f"<outbox.{row.id}@{_domain(settings)}>"


def _link(settings: Settings, path: str, language: str, **query: str) -> str:
    return f"{settings.public_url}{path}?{urlencode({**query, 'lang': language})}"


def content(row: OutboxMessage, to: Recipient, settings: Settings) -> Content:
    account = to.account
    name = account.display_name if account else ""
    params = row.params or {}
    lang = row.language
    if row.kind is MailKind.CONFIRM_EMAIL:
        url = _link(settings, links.CONFIRM_PATH, lang, token=params["token"])
        return templates.confirm_email(name, url)
    if row.kind is MailKind.EMAIL_CHANGE_CONFIRM:
        url = _link(settings, links.CONFIRM_PATH, lang, token=params["token"])
        return templates.email_change_confirm(name, url)
    if row.kind is MailKind.PASSWORD_RESET:
        url = _link(settings, links.RESET_PATH, lang, token=params["token"])
        return templates.password_reset(name, url)
    if row.kind is MailKind.PASSWORD_CHANGED:
        return templates.password_changed(name)
    if row.kind is MailKind.EMAIL_CHANGE_NOTICE:
        return templates.email_change_notice(name, params["new_email"])
    if row.kind in NOTICE_PREFERENCES:
        assert account is not None
        return _notice(row, account, to.sender_name, settings)
    announcement = to.announcement
    assert announcement is not None
    assert account is not None
    token = links.unsubscribe_token(settings, account.id, preference_for(announcement.kind))
    url = _link(settings, links.UNSUBSCRIBE_PATH, lang, token=token)
    return templates.announcement(
        name, to.city_name, announcement.kind, announcement.title, announcement.body, url
    )


def _app_link(settings: Settings, path: str) -> str:
    return f"{settings.app_url or settings.public_url}{path}"


def _notice(row: OutboxMessage, account: Account, sender: str, settings: Settings) -> Content:
    """A notification's e-mail: what happened and a link to the app, nothing anyone wrote."""
    params = row.params or {}
    name = account.display_name
    preference = NOTICE_PREFERENCES[row.kind]
    token = links.unsubscribe_token(settings, account.id, preference)
    unsubscribe = _link(settings, links.UNSUBSCRIBE_PATH, row.language, token=token)
    notifications = _app_link(settings, links.APP_NOTIFICATIONS_PATH)
    if row.kind is MailKind.MODERATION:
        decision = ModerationKind(params["decision"])
        automatic = bool(params.get("automatic"))
        return templates.moderation(name, decision, automatic, notifications, unsubscribe)
    if row.kind is MailKind.EVENT_CHANGED:
        cancelled = bool(params.get("cancelled"))
        return templates.event_changed(name, cancelled, notifications, unsubscribe)
    conversation = to_global_id("Conversation", int(params["conversation"]))
    url = _app_link(settings, links.APP_CONVERSATION_PATH.format(id=conversation))
    return templates.private_message(name, sender, url, unsubscribe)


def _text_part(c: Content, say: Callable[[str], str]) -> str:
    blocks = [say(p) for p in c.paragraphs]
    if c.quoted:
        blocks.append("\n".join(f"> {line}" if line else ">" for line in c.quoted))
    if c.action:
        blocks.append(f"{say(c.action.label)}:\n{c.action.url}")
    blocks.append(say(templates.SIGNATURE))
    if c.footer:
        blocks.append("-- \n" + "\n".join(say(f) for f in c.footer))
    return "\n\n".join(blocks) + "\n"


def _html_part(c: Content, say: Callable[[str], str], language: str) -> str:
    e = html.escape
    parts = [f"<p>{e(say(p))}</p>" for p in c.paragraphs]
    if c.quoted:
        title, *body = c.quoted
        text = "<br>".join(e(line) for line in body)
        parts.append(
            f'<blockquote style="border-left:4px solid #2a6f4e;margin:1em 0;padding:0 1em">'
            f"<p><strong>{e(title)}</strong></p><p>{text}</p></blockquote>"
        )
    if c.action:
        parts.append(
            f'<p><a href="{e(c.action.url)}" style="background:#2a6f4e;color:#fff;'
            f'padding:.6em 1.2em;border-radius:4px;text-decoration:none">'
            f"{e(say(c.action.label))}</a></p>"
        )
    parts.append(f"<p>{e(say(templates.SIGNATURE))}</p>")
    for line in c.footer:
        parts.append(f'<p style="color:#666;font-size:small">{_linked(say(line))}</p>')
    return (
        f'<!doctype html><html lang="{e(language)}"><head><meta charset="utf-8">'
        f"<title>{e(say(c.subject))}</title></head>"
        f'<body style="font-family:sans-serif;max-width:40em">{"".join(parts)}</body></html>\n'
    )


def _linked(text: str) -> str:
    """Escaped text whose URLs become links."""
    words = [
        f'<a href="{html.escape(w)}">{html.escape(w)}</a>'
        if w.startswith(("http://", "https://"))
        else html.escape(w)
        for w in text.split(" ")
    ]
    return " ".join(words)


def render(row: OutboxMessage, to: Recipient, settings: Settings) -> EmailMessage:
    address = row.to_address or (to.account.email if to.account else None)
    if not address:
        raise Unsendable("the account has no e-mail address")
    language = Language(row.language) if row.language in Language.__members__.values() else None
    lang = language or Language.FR

    def say(text: str) -> str:
        return translate(text, lang)

    c = content(row, to, settings)
    # Long ASCII headers (List-Unsubscribe's URL) stay as they are instead of being
    # RFC 2047-encoded, which mail clients would not decode there; 998 is RFC 5322's limit.
    message = EmailMessage(policy=HEADERS_POLICY)
    message["From"] = _clean_header(settings.mail_from)
    local, _, domain = address.partition("@")
    name = to.account.display_name if to.account else ""
    message["To"] = Address(display_name=_clean_header(name), username=local, domain=domain)
    message["Subject"] = _clean_header(say(c.subject))
    message["Date"] = format_datetime(row.created_at)
    message["Message-ID"] = message_id(row, settings)
    message["Auto-Submitted"] = "auto-generated"
    if c.unsubscribe:
        message["List-Unsubscribe"] = f"<{c.unsubscribe}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message["Precedence"] = "bulk"
    message.set_content(_text_part(c, say))
    message.add_alternative(_html_part(c, say, lang.value), subtype="html")
    # After the parts: setting content drops the Content-* headers set before.
    message["Content-Language"] = lang.value
    return message
