"""A resident's e-mail through real processes: uvicorn serving the API, a real SMTP server
(aiosmtpd) and `quartier worker` running alone. Register, confirm, forget the password,
reset it, old sessions refused; a city alert reaches each opted-in resident once, in their
language; one-click unsubscribe; a worker killed with SIGKILL mid-batch loses nothing."""

from __future__ import annotations

import re
import signal
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from tortoise.timezone import now

from models.accounts import Account
from models.mail import MailStatus, OutboxMessage
from tests import support
from tests.processes import Process, app_env, spawn, uvicorn, wait_until_ready
from tests.smtp import SmtpServer, html_part, text_part

LINK = re.compile(r"https?://\S+")


@dataclass
class Stack:
    app: Process
    smtp: SmtpServer
    env: dict[str, str]
    directory: Path

    def worker(self, name: str, **settings: str) -> Process:
        command = [sys.executable, "-m", "server.cli", "worker"]
        return spawn(name, command, {**self.env, **settings}, self.directory / f"{name}.log", "")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[Stack]:
    directory = tmp_path_factory.mktemp("mail")
    with SmtpServer() as smtp:
        app = uvicorn(
            "app", "server.app:app_from_env", app_env(database_url), directory / "app.log"
        )
        try:
            wait_until_ready(app)
            env = app_env(
                database_url,
                QUARTIER_SMTP_URL=smtp.url,
                QUARTIER_PUBLIC_URL=app.url,
                QUARTIER_MAIL_POLL_MS="50",
                QUARTIER_MAIL_LEASE_SECONDS="2",
            )
            yield Stack(app, smtp, env, directory)
        finally:
            app.stop()


@pytest.fixture
def worker(stack: Stack) -> Iterator[Process]:
    stack.smtp.sink.clear()
    process = stack.worker("worker")
    try:
        yield process
    finally:
        process.stop()


def http(method: str, url: str, **options: Any) -> httpx.Response:
    """Blocking on purpose: the servers are other processes and threads."""
    options.setdefault("timeout", 10)
    return httpx.request(method, url, **options)


def graphql(
    stack: Stack, query: str, variables: dict[str, Any], token: str | None = None, **headers: str
) -> dict[str, Any]:
    if token:
        headers["Authorization"] = f"Bearer {token}"
    response = http(
        "POST",
        f"{stack.app.url}/graphql",
        json={"query": query, "variables": variables},
        headers=headers,
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return response.json()


def link_in(message: EmailMessage) -> str:
    [url] = [u for u in LINK.findall(text_part(message)) if "token=" in u]
    return url


REGISTER = """mutation($input: RegisterInput!) { register(input: $input) {
  token viewer { language emailConfirmed } userErrors { code message } } }"""
VIEWER = "{ viewer { id emailConfirmed } }"
RESET = """mutation($email: String!) { requestPasswordReset(input: {email: $email}) {
  ok userErrors { code } } }"""
LOGIN = """mutation($email: String!, $password: String!) {
  login(input: {email: $email, password: $password}) { token userErrors { code } } }"""


async def test_register_confirm_forget_reset_and_old_sessions_are_refused(stack, world, worker):
    email = "lotte.peeters@example.be"
    registered = graphql(
        stack,
        REGISTER,
        {
            "input": {
                "email": email,
                "password": "een lang wachtwoord 2026",
                "displayName": "Lotte Peeters",
                "streetId": support.gid("Street", world.centre_street.id),
                "houseNumber": "4",
            }
        },
        **{"Accept-Language": "nl-BE,nl;q=0.9,fr;q=0.5"},
    )["data"]["register"]
    assert registered["userErrors"] == []
    assert registered["viewer"] == {"language": "nl", "emailConfirmed": False}
    first_token = registered["token"]

    [confirmation] = stack.smtp.sink.wait_for(lambda got: len(got) == 1)
    assert confirmation["Subject"] == "Bevestig uw e-mailadres"
    assert str(confirmation["To"]) == f"Lotte Peeters <{email}>"
    assert "Mijn adres bevestigen" in html_part(confirmation)
    # Following the link (as a mail scanner would) shows a button; pressing it confirms.
    page = http("GET", link_in(confirmation), timeout=10)
    assert page.status_code == 200
    assert graphql(stack, VIEWER, {}, first_token)["data"]["viewer"]["emailConfirmed"] is False
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', page.text))
    pressed = http("POST", link_in(confirmation), data=fields, timeout=10)
    assert pressed.status_code == 200
    assert "Bedankt: uw e-mailadres is bevestigd." in pressed.text
    assert graphql(stack, VIEWER, {}, first_token)["data"]["viewer"]["emailConfirmed"] is True

    # Forgotten: a second session (another device) is open as well.
    second_token = graphql(stack, LOGIN, {"email": email, "password": "een lang wachtwoord 2026"})[
        "data"
    ]["login"]["token"]
    unknown = graphql(stack, RESET, {"email": "niemand@example.be"})["data"]
    known = graphql(stack, RESET, {"email": email})["data"]
    assert unknown == known == {"requestPasswordReset": {"ok": True, "userErrors": []}}
    got = stack.smtp.sink.wait_for(lambda got: len(got) == 2)
    reset = got[1]
    assert reset["Subject"] == "Kies een nieuw wachtwoord"
    assert [str(m["To"]) for m in got].count(f"Lotte Peeters <{email}>") == 2

    url = link_in(reset)
    form = http("GET", url, timeout=10)
    assert form.status_code == 200
    assert 'name="password"' in form.text
    token = re.search(r'name="token" value="([^"]+)"', form.text).group(1)
    weak = http("POST", url, data={"token": token, "password": "kort", "lang": "nl"}, timeout=10)
    assert weak.status_code == 400
    assert "minstens 10 tekens" in weak.text
    done = http(
        "POST",
        url,
        data={"token": token, "password": "nieuw en veilig 2027", "lang": "nl"},
        timeout=10,
    )
    assert done.status_code == 200
    assert "al uw sessies zijn afgesloten" in done.text

    for old in (first_token, second_token):
        assert graphql(stack, VIEWER, {}, old)["data"]["viewer"] is None
    assert graphql(stack, LOGIN, {"email": email, "password": "een lang wachtwoord 2026"})["data"][
        "login"
    ]["userErrors"] == [{"code": "INVALID_CREDENTIALS"}]
    assert graphql(stack, LOGIN, {"email": email, "password": "nieuw en veilig 2027"})["data"][
        "login"
    ]["token"]
    again = http("POST", url, data={"token": token, "password": "nog een ander 2028"}, timeout=10)
    assert again.status_code == 400
    assert "Ce lien a déjà servi." in again.text or "Deze link is al gebruikt." in again.text


PUBLISH = """mutation($input: PublishAnnouncementInput!) { publishAnnouncement(input: $input) {
  announcement { id } userErrors { code message } } }"""


async def _residents_in_three_languages(world: Any) -> dict[str, Account]:
    people = {}
    for name, language in (("Anne", "fr"), ("Bert", "nl"), ("Chris", "en"), ("Dora", "fr")):
        account, _ = await support.make_resident(world.centre_street, name)
        account.language, account.email_confirmed_at = language, now()
        await account.save(update_fields=["language", "email_confirmed_at"])
        people[name] = account
    return people


async def test_a_city_alert_reaches_each_opted_in_resident_once_in_their_language(
    stack, world, worker
):
    people = await _residents_in_three_languages(world)
    # Dora said no to alerts by e-mail; the fixtures' residents never confirmed an address.
    await support_opt_out(people["Dora"])
    _staff, staff_token = await support.make_staff(support.Role.CITY_STAFF, "Ville", world.city)
    published = graphql(
        stack,
        PUBLISH,
        {
            "input": {
                "kind": "ALERT",
                "title": "Coupure d'eau rue Guyaux",
                "body": "Mardi de 8 h à 12 h.\nPrévoyez des réserves.",
                "target": {"scope": "CITY"},
            }
        },
        staff_token,
    )["data"]["publishAnnouncement"]
    assert published["userErrors"] == []

    got = stack.smtp.sink.wait_for(lambda got: len(got) == 3)
    by_reader = {m["To"].addresses[0].display_name: m for m in got}
    assert sorted(by_reader) == ["Anne", "Bert", "Chris"]
    assert by_reader["Anne"]["Subject"] == "Alerte · Coupure d'eau rue Guyaux"
    assert by_reader["Bert"]["Subject"] == "Waarschuwing · Coupure d'eau rue Guyaux"
    assert by_reader["Chris"]["Subject"] == "Alert · Coupure d'eau rue Guyaux"
    assert "The City of La Louvière writes to you:" in text_part(by_reader["Chris"])
    assert "> Mardi de 8 h à 12 h.\n> Prévoyez des réserves." in text_part(by_reader["Chris"])
    assert len({m["Message-ID"] for m in got}) == 3
    for message in got:
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message["Precedence"] == "bulk"

    # RFC 8058: the mail client POSTs to the header's URL; no sign-in.
    unsubscribe = by_reader["Bert"]["List-Unsubscribe"].strip("<>")
    assert http("GET", unsubscribe, timeout=10).status_code == 200  # a page, changes nothing
    response = http("POST", unsubscribe, content=b"List-Unsubscribe=One-Click", timeout=10)
    assert response.status_code == 200
    assert "u ontvangt dit soort e-mails niet meer" in response.text
    forged = http("POST", unsubscribe.replace("CITY_ALERT.", "CITY_ALERT.x"), timeout=10)
    assert forged.status_code == 400

    stack.smtp.sink.clear()
    graphql(
        stack,
        PUBLISH,
        {
            "input": {
                "kind": "ALERT",
                "title": "Travaux",
                "body": "Suite.",
                "target": {"scope": "CITY"},
            }
        },
        staff_token,
    )
    got = stack.smtp.sink.wait_for(lambda got: len(got) == 2)
    assert sorted(m["To"].addresses[0].display_name for m in got) == ["Anne", "Chris"]


async def support_opt_out(account: Account) -> None:
    from models.mail import NotificationPreference, PreferenceKind

    await NotificationPreference.create(
        account=account, kind=PreferenceKind.CITY_ALERT, email=False
    )


async def test_a_worker_killed_mid_batch_and_restarted_loses_nothing(stack, world):
    stack.smtp.sink.clear()
    people = []
    for i in range(24):
        account, _ = await support.make_resident(world.haine_street, f"Habitant {i}")
        account.email_confirmed_at = now()
        await account.save(update_fields=["email_confirmed_at"])
        people.append(account)
    _staff, staff_token = await support.make_staff(support.Role.CITY_STAFF, "Ville", world.city)
    graphql(
        stack,
        PUBLISH,
        {
            "input": {
                "kind": "ALERT",
                "title": "Tempête",
                "body": "Restez chez vous.",
                "target": {
                    "scope": "NEIGHBOURHOODS",
                    "neighbourhoodIds": [support.gid("Neighbourhood", world.haine.id)],
                },
            }
        },
        staff_token,
    )
    rows = await OutboxMessage.filter(announcement_id__not_isnull=True).values_list("id", flat=True)
    # Carla lives there too but never confirmed her address: 24 e-mails.
    assert len(rows) == 24

    # 8 a second, batches of 10: killed while its first batch is half sent.
    slow = {"QUARTIER_MAIL_RATE": "8", "QUARTIER_MAIL_BATCH_SIZE": "10"}
    first = stack.worker("killed", **slow)
    try:
        stack.smtp.sink.wait_for(lambda got: len(got) >= 4, seconds=30)
    finally:
        first.process.send_signal(signal.SIGKILL)
        first.process.wait(timeout=10)
    sent_before = len(stack.smtp.sink.received())
    assert sent_before < 24

    second = stack.worker("restarted", QUARTIER_MAIL_RATE="50")
    try:
        got = stack.smtp.sink.wait_for(
            lambda got: (
                {m["Message-ID"] for m in got} >= {f"<outbox.{i}@quartier.localhost>" for i in rows}
            ),
            seconds=60,
        )
    finally:
        second.stop()
    ids = [m["Message-ID"] for m in got]
    assert set(ids) == {f"<outbox.{i}@quartier.localhost>" for i in rows}
    # At worst the one being sent when killed went twice, under the same Message-ID.
    assert len(ids) - len(set(ids)) <= 1
    statuses = await OutboxMessage.filter(id__in=list(rows)).values_list("status", flat=True)
    assert set(statuses) == {MailStatus.SENT}
