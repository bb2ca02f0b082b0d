"""Notifications by e-mail, per kind and opt-in (city alerts aside, off by default): a
moderation decision, a change to an event one attends, a new private message (one e-mail per
burst). Each is queued in the transaction that causes it, only for a confirmed address, in
the reader's language, sent through a real SMTP server (aiosmtpd), with RFC 8058's one-click
unsubscribe; none carries words a neighbour or a moderator wrote."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from tortoise.timezone import now
from tortoise.transactions import in_transaction

from models.accounts import Account
from models.mail import MailKind, NotificationPreference, OutboxMessage, PreferenceKind
from resolvers import events, outbox
from server.mail.worker import Worker
from server.settings import Settings
from tests.smtp import SmtpServer, html_part, text_part
from tests.support import gid
from tests.test_events import ATTEND, CREATE, DELETE, EDIT, later
from tests.test_messages import send
from tests.test_moderation import create_post

PREFERENCES = """mutation($input: SetPreferencesInput!) { setPreferences(input: $input) {
  viewer { notificationPreferences { kind inApp email } } userErrors { code } } }"""
READ = """mutation($input: MarkConversationReadInput!) {
  markConversationRead(input: $input) { userErrors { code } } }"""


@pytest.fixture
def mail_settings(settings: Settings, smtp: SmtpServer) -> Settings:
    smtp.sink.clear()
    return dataclasses.replace(
        settings,
        smtp_url=smtp.url,
        public_url="https://api.quartier.example.be",
        app_url="https://quartier.example.be",
        mail_from="Quartier <no-reply@quartier.example.be>",
        mail_rate=1000,
    )


async def _wants(account: Account, kind: PreferenceKind, language: str = "fr") -> None:
    """A confirmed address, a language, and this kind by e-mail."""
    await Account.filter(id=account.id).update(language=language, email_confirmed_at=now())
    await NotificationPreference.create(account_id=account.id, kind=kind, email=True)


async def _send_all(mail_settings: Settings, smtp: SmtpServer):
    result = await Worker(mail_settings).run_once()
    assert result.failed == []
    assert result.retried == []
    return smtp.sink.received()


async def test_every_notification_kind_has_its_preference_off_by_default_but_alerts(api, world):
    defaults = await api(PREFERENCES, {"input": {}}, world.alice_token)
    chosen = await api(
        PREFERENCES,
        {"input": {"email": [{"kind": "PRIVATE_MESSAGE", "email": True}]}},
        world.alice_token,
    )

    assert defaults["data"]["setPreferences"]["viewer"]["notificationPreferences"] == [
        {"kind": kind, "inApp": True, "email": kind == "CITY_ALERT"}
        for kind in (
            "CITY_ALERT",
            "CITY_ANNOUNCEMENT",
            "MODERATION",
            "EVENT_CHANGED",
            "PRIVATE_MESSAGE",
        )
    ]
    prefs = chosen["data"]["setPreferences"]["viewer"]["notificationPreferences"]
    assert {p["kind"]: p["email"] for p in prefs}["PRIVATE_MESSAGE"] is True


async def test_a_moderation_decision_tells_the_author_what_was_decided_not_why(
    api, world, moderator_token, mail_settings, smtp
):
    await _wants(world.alice, PreferenceKind.MODERATION, "nl")
    # Bob opted in too but never confirmed his address; Carla kept the default (off).
    await NotificationPreference.create(
        account_id=world.bob.id, kind=PreferenceKind.MODERATION, email=True
    )
    await Account.filter(id=world.carla.id).update(email_confirmed_at=now())
    posts = [
        await create_post(api, token, title="Titre privé du voisinage", body="Mots du voisin")
        for token in (world.alice_token, world.bob_token)
    ]
    decided = await api(
        """mutation($input: ModerateInput!) { moderate(input: $input) { userErrors { code } } }""",
        {
            "input": {
                "kind": "HIDE_CONTENT",
                "reason": "Propos injurieux envers Mme Jansen",
                "contentIds": posts,
            }
        },
        moderator_token,
    )
    assert decided["data"]["moderate"]["userErrors"] == []

    [message] = await _send_all(mail_settings, smtp)

    assert message["To"].addresses[0].addr_spec == world.alice.email
    assert message["Subject"] == "Een moderatiebeslissing die u aangaat"
    text = text_part(message)
    assert "Een moderator heeft een van uw bijdragen verborgen." in text
    assert "Bekijken in Quartier:\nhttps://quartier.example.be/notifications\n" in text
    for private in ("Propos injurieux", "Jansen", "Titre privé", "Mots du voisin"):
        assert private not in text
        assert private not in html_part(message)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = urlsplit(message["List-Unsubscribe"].strip("<>"))
    assert unsubscribe.netloc == "api.quartier.example.be"
    assert "MODERATION." in unsubscribe.query

    # One click (RFC 8058), no sign-in: this kind only.
    clicked = await api.client.post(
        f"{unsubscribe.path}?{unsubscribe.query}", content=b"List-Unsubscribe=One-Click"
    )
    assert clicked.status_code == 200
    assert "u ontvangt dit soort e-mails niet meer" in clicked.text
    choices = await NotificationPreference.filter(account_id=world.alice.id).values_list(
        "kind", "email"
    )
    assert dict(choices) == {PreferenceKind.MODERATION: False}


async def test_an_automatic_hiding_says_it_awaits_a_moderator(world, mail_settings, smtp):
    from models.community import Post, PostKind
    from models.moderation import ContentType, Report, ReportReason, ReportStatus
    from resolvers import moderation

    await _wants(world.alice, PreferenceKind.MODERATION, "en")
    post = await Post.create(
        neighbourhood_id=world.centre.id,
        author_id=world.alice.id,
        kind=PostKind.DISCUSSION,
        title="t",
        body="b",
        created_at=now(),
    )
    async with in_transaction():
        await Report.create(
            content_type=ContentType.POST,
            content_id=post.id,
            reporter_id=world.bob.id,
            reason=ReportReason.SPAM,
            status=ReportStatus.OPEN,
            created_at=now(),
        )
        await moderation.auto_hide(moderation.ContentRef(ContentType.POST, post.id), 1)

    [message] = await _send_all(mail_settings, smtp)

    assert "One of your contributions was hidden after several reports, pending a moderator's" in (
        text_part(message).replace("\n", " ")
    )


async def test_attendees_who_opted_in_hear_of_a_change_and_a_cancellation(
    api, world, mail_settings, smtp
):
    await _wants(world.bob, PreferenceKind.EVENT_CHANGED, "en")
    values = {"kind": "EVENT", "title": "Barbecue chez Alice", "body": "Rue Guyaux 12",
              "startsAt": later(3), "place": "Jardin d'Alice"}  # fmt: skip
    created = await api(CREATE, {"input": values}, world.alice_token)
    post_id = created["data"]["createPost"]["post"]["id"]
    await api(ATTEND, {"input": {"postId": post_id}}, world.bob_token)

    moved = {"postId": post_id, "expectedVersion": 1, "startsAt": later(4)}
    assert (await api(EDIT, {"input": moved}, world.alice_token))["data"]["editPost"][
        "userErrors"
    ] == []
    [changed] = await _send_all(mail_settings, smtp)
    smtp.sink.clear()
    await api(DELETE, {"input": {"postId": post_id}}, world.alice_token)
    [cancelled] = await _send_all(mail_settings, smtp)

    assert changed["Subject"] == "An event you are attending has changed"
    assert cancelled["Subject"] == "An event you are attending is cancelled"
    for message in (changed, cancelled):
        assert message["To"].addresses[0].addr_spec == world.bob.email
        assert "Barbecue" not in text_part(message)
        assert "Alice" not in text_part(message)
        assert "EVENT_CHANGED." in message["List-Unsubscribe"]


async def _queue_then_fail(account_id: int) -> None:
    async with in_transaction():
        await outbox.enqueue_notices(MailKind.EVENT_CHANGED, [account_id], {})
        assert await OutboxMessage.filter(kind=MailKind.EVENT_CHANGED).count() == 1
        raise RuntimeError("the change failed")


async def test_a_rolled_back_change_queues_no_email(world):
    await _wants(world.bob, PreferenceKind.EVENT_CHANGED)

    with pytest.raises(RuntimeError):
        await _queue_then_fail(world.bob.id)

    assert await OutboxMessage.filter(kind=MailKind.EVENT_CHANGED).count() == 0
    async with in_transaction():
        await events.notify_attendees(1, world.alice.id, now())
    assert await OutboxMessage.filter(kind=MailKind.EVENT_CHANGED).count() == 0


async def test_private_messages_send_one_email_per_burst_naming_the_sender_only(
    api, world, mail_settings, smtp
):
    await _wants(world.bob, PreferenceKind.PRIVATE_MESSAGE, "fr")
    bob = gid("Resident", world.bob.id)
    first = await send(api, world.alice_token, bob, "Mon code de porte est 4521")
    await send(api, world.alice_token, bob, "Tu viens ?")
    [message] = await _send_all(mail_settings, smtp)
    conversation = first["conversation"]["id"]

    assert message["Subject"] == "Alice Dupont vous a écrit sur Quartier"
    text = text_part(message)
    assert "Alice Dupont vous a envoyé un message privé." in text
    assert f"https://quartier.example.be/conversations/{conversation}" in text
    assert "4521" not in text
    assert "Tu viens" not in text
    assert "4521" not in html_part(message)
    assert "PRIVATE_MESSAGE." in message["List-Unsubscribe"]

    # Still unread: the burst goes on without e-mail. Read, then a new message soon after:
    # still none (the quiet time); once it has passed, the next message sends one again.
    await send(api, world.alice_token, bob, "Allô ?")
    await api(READ, {"input": {"conversationId": conversation}}, world.bob_token)
    await send(api, world.alice_token, bob, "Encore moi")
    assert await OutboxMessage.filter(kind=MailKind.PRIVATE_MESSAGE).count() == 1
    await OutboxMessage.filter(kind=MailKind.PRIVATE_MESSAGE).update(
        created_at=now() - outbox.MESSAGE_QUIET - timedelta(minutes=1)
    )
    await api(READ, {"input": {"conversationId": conversation}}, world.bob_token)
    await send(api, world.alice_token, bob, "Tu es là ?")
    assert await OutboxMessage.filter(kind=MailKind.PRIVATE_MESSAGE).count() == 2
    # Alice never opted in: Bob's reply sends her nothing.
    await send(api, world.bob_token, gid("Resident", world.alice.id), "Oui")
    assert await OutboxMessage.filter(account_id=world.alice.id).count() == 0


async def test_a_sender_erased_before_the_email_goes_is_not_named(api, world, mail_settings, smtp):
    await _wants(world.bob, PreferenceKind.PRIVATE_MESSAGE, "en")
    await send(api, world.alice_token, gid("Resident", world.bob.id), "Bonsoir")
    await Account.filter(id=world.alice.id).update(erased_at=now())

    [message] = await _send_all(mail_settings, smtp)

    assert message["Subject"] == "Former neighbour wrote to you on Quartier"
    assert "Alice" not in text_part(message)


async def test_an_opt_out_after_queueing_cancels_the_email(api, world, mail_settings, smtp):
    await _wants(world.bob, PreferenceKind.PRIVATE_MESSAGE)
    await send(api, world.alice_token, gid("Resident", world.bob.id))
    await NotificationPreference.filter(account_id=world.bob.id).update(email=False)

    result = await Worker(mail_settings).run_once()

    assert len(result.cancelled) == 1
    assert result.sent == []
    assert smtp.sink.received() == []
