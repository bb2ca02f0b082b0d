"""The e-mail worker against a real SMTP server (aiosmtpd): what it sends, retries with
backoff, gives up after the configured tries (visible in `quartier mail status`), and .eml
files when no SMTP server is configured."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import logging
from datetime import timedelta

import pytest
from tortoise.timezone import now

from models.accounts import Language
from models.mail import MailKind, MailStatus, OutboxMessage
from resolvers import outbox
from server.mail import cli as mail_cli
from server.mail.worker import Worker
from server.settings import Settings
from tests.smtp import SmtpServer, html_part, text_part


@pytest.fixture
def mail_settings(settings: Settings, smtp: SmtpServer) -> Settings:
    smtp.sink.clear()
    smtp.sink.refuse_with = None
    return dataclasses.replace(
        settings,
        smtp_url=smtp.url,
        public_url="https://quartier.example.be",
        mail_from="Quartier <no-reply@quartier.example.be>",
        mail_rate=1000,
        mail_retry_seconds=60,
        mail_max_attempts=3,
    )


async def test_a_password_reset_goes_out_with_both_parts_and_a_stable_message_id(
    world, smtp, mail_settings
):
    world.alice.language = Language.NL.value
    row = await outbox.enqueue(
        MailKind.PASSWORD_RESET, world.alice, world.alice.email, {"token": "tok-en"}
    )

    result = await Worker(mail_settings).run_once()

    assert result.sent == [row.id]
    [message] = smtp.sink.received()
    assert message["Message-ID"] == f"<outbox.{row.id}@quartier.example.be>"
    assert message["Subject"] == "Kies een nieuw wachtwoord"
    assert message["To"].addresses[0].addr_spec == world.alice.email
    assert message["To"].addresses[0].display_name == "Alice Dupont"
    assert message["From"] == "Quartier <no-reply@quartier.example.be>"
    assert message["Content-Language"] == "nl"
    assert message["List-Unsubscribe"] is None
    link = "https://quartier.example.be/account/reset-password?token=tok-en&lang=nl"
    assert text_part(message) == (
        "Beste Alice Dupont,\n\n"
        "Iemand heeft een nieuw wachtwoord voor uw account aangevraagd. Deze link is 30 "
        "minuten geldig en werkt één keer; hij sluit al uw sessies af.\n\n"
        f"Een nieuw wachtwoord kiezen:\n{link}\n\n"
        "Het Quartier-team\n\n"
        "-- \nHebt u niets gevraagd? Negeer dan dit bericht: er verandert niets.\n"
    )
    assert f'<a href="{link.replace("&", "&amp;")}"' in html_part(message)
    assert '<html lang="nl">' in html_part(message)
    sent = await OutboxMessage.get(id=row.id)
    assert (sent.status, sent.attempts, sent.params, sent.claimed_by) == (
        MailStatus.SENT,
        1,
        None,
        None,
    )


async def test_a_refused_message_is_retried_later_then_given_up_and_shown_in_mail_status(
    world, smtp, mail_settings
):
    row = await outbox.enqueue(MailKind.PASSWORD_CHANGED, world.bob, world.bob.email)
    smtp.sink.refuse_with = "451 Try again later"
    worker = Worker(mail_settings)

    first = await worker.run_once()

    assert first.retried == [row.id]
    waiting = await OutboxMessage.get(id=row.id)
    assert waiting.status is MailStatus.PENDING
    assert waiting.attempts == 1
    assert waiting.last_error.startswith("SMTP 451")
    delay = (waiting.next_attempt_at - now()).total_seconds()
    assert 55 < delay <= 60
    assert (await worker.run_once()).claimed == 0  # not due yet

    await OutboxMessage.filter(id=row.id).update(next_attempt_at=now())
    second = await worker.run_once()
    assert second.retried == [row.id]
    delay = ((await OutboxMessage.get(id=row.id)).next_attempt_at - now()).total_seconds()
    assert 115 < delay <= 120  # twice as long

    await OutboxMessage.filter(id=row.id).update(next_attempt_at=now())
    third = await worker.run_once()
    assert third.failed == [row.id]
    failed = await OutboxMessage.get(id=row.id)
    assert (failed.status, failed.attempts) == (MailStatus.FAILED, 3)
    assert smtp.sink.received() == []

    lines = await mail_cli._status()
    assert lines[:4] == [
        "pending          0",
        "sent             0",
        "failed           1",
        "cancelled        0",
    ]
    assert lines[-1] == f"  #{row.id} PASSWORD_CHANGED 3 SMTP 451: Try again later"


async def test_a_refusal_naming_the_recipient_is_logged_without_the_address(
    world, smtp, mail_settings, caplog
):
    await outbox.enqueue(MailKind.PASSWORD_CHANGED, world.bob, world.bob.email)
    smtp.sink.refuse_with = f"451 <{world.bob.email}>: mailbox busy"

    with caplog.at_level(logging.WARNING, logger="quartier.mail"):
        await Worker(mail_settings).run_once()

    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "SMTP 451: <<address>>: mailbox busy" in logged
    assert world.bob.email not in logged


async def test_an_unreachable_server_keeps_every_message_for_later(world, mail_settings):
    rows = [
        await outbox.enqueue(MailKind.PASSWORD_CHANGED, account, account.email)
        for account in (world.alice, world.bob)
    ]
    closed = dataclasses.replace(mail_settings, smtp_url="smtp://127.0.0.1:9")

    result = await Worker(closed).run_once()

    assert sorted(result.retried) == [r.id for r in rows]
    assert {r.status for r in await OutboxMessage.all()} == {MailStatus.PENDING}


async def test_without_smtp_the_email_is_written_to_a_folder_and_its_subject_logged(
    world, mail_settings, tmp_path, caplog
):
    row = await outbox.enqueue(MailKind.PASSWORD_CHANGED, world.carla, world.carla.email)
    folder = dataclasses.replace(mail_settings, smtp_url=None, mail_dir=str(tmp_path))

    with caplog.at_level(logging.INFO, logger="quartier.mail"):
        result = await Worker(folder).run_once()

    assert result.sent == [row.id]
    [written] = tmp_path.iterdir()
    assert written.name == f"{row.id:08d}-password_changed.eml"
    parsed = email.message_from_bytes(written.read_bytes(), policy=email.policy.default)
    assert parsed["Subject"] == "Votre mot de passe a changé"
    assert f"e-mail written to {written}: Votre mot de passe a changé" in caplog.messages


async def test_a_claimed_row_is_not_claimed_again_until_its_lease_ends(world, mail_settings):
    row = await outbox.enqueue(MailKind.PASSWORD_CHANGED, world.alice, world.alice.email)
    first, second = Worker(mail_settings), Worker(mail_settings)

    claim, rows = await first.claim()
    assert [r.id for r in rows] == [row.id]
    assert (await second.claim())[1] == []

    # The first worker died: once the lease is over, another takes the row over.
    await OutboxMessage.filter(id=row.id).update(locked_until=now() - timedelta(seconds=1))
    taken, rows = await second.claim()
    assert [r.id for r in rows] == [row.id]
    assert rows[0].attempts == 2
    assert taken != claim
