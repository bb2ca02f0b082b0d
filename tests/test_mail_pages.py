"""The pages the e-mails' links open act on POST only: a mail scanner or a link preview that
follows a link (a GET) confirms nothing and unsubscribes no one. The GET shows a page in the
reader's language with a button; RFC 8058's one-click POST needs no page."""

from __future__ import annotations

from tortoise.timezone import now

from models.accounts import Account
from models.mail import MailKind, OutboxMessage, PreferenceKind
from resolvers import preferences
from server.mail import links
from tests.test_account_mail import CHANGE_EMAIL, REGISTER, post, registration


async def _registered(api, world) -> tuple[Account, str]:
    await post(api, REGISTER, registration(world))
    row = await OutboxMessage.get(kind=MailKind.CONFIRM_EMAIL)
    return await Account.get(email="nadia@example.be"), row.params["token"]


async def test_following_the_confirmation_link_shows_a_button_and_confirms_nothing(api, world):
    account, token = await _registered(api, world)

    pages = [
        await api.client.get(links.CONFIRM_PATH, params={"token": token, "lang": "nl"})
        for _ in range(2)
    ]

    for page in pages:
        assert page.status_code == 200
        assert page.headers["cache-control"] == "no-store"
        assert '<html lang="nl">' in page.text
        assert "Druk op de knop om dit e-mailadres te bevestigen." in page.text
        assert '<form method="post">' in page.text
        assert f'name="token" value="{token}"' in page.text
    assert (await Account.get(id=account.id)).email_confirmed_at is None


async def test_the_pages_button_confirms_once(api, world):
    account, token = await _registered(api, world)

    done = await api.client.post(
        links.CONFIRM_PATH, params={"token": token}, data={"token": token, "lang": "en"}
    )
    again = await api.client.get(links.CONFIRM_PATH, params={"token": token, "lang": "en"})

    assert done.status_code == 200
    assert "Thank you: your e-mail address is confirmed." in done.text
    assert (await Account.get(id=account.id)).email_confirmed_at is not None
    assert again.status_code == 400
    assert "This link has already been used." in again.text
    assert "<form" not in again.text


async def test_a_forged_confirmation_link_shows_no_button(api, world):
    page = await api.client.get(links.CONFIRM_PATH, params={"token": "forged", "lang": "en"})
    pressed = await api.client.post(links.CONFIRM_PATH, data={"token": "forged", "lang": "en"})

    assert page.status_code == pressed.status_code == 400
    assert "<form" not in page.text
    assert "This link is not valid." in page.text


async def test_a_change_of_address_happens_on_the_pages_post_not_on_the_link(api, world):
    from resolvers import passwords

    await Account.filter(id=world.alice.id).update(
        password_hash=await passwords.hash_password("mot de passe actuel"), email_confirmed_at=now()
    )
    old = world.alice.email
    await post(
        api,
        CHANGE_EMAIL,
        {"email": "alice.new@example.be", "password": "mot de passe actuel"},
        world.alice_token,
    )
    token = (await OutboxMessage.get(kind=MailKind.EMAIL_CHANGE_CONFIRM)).params["token"]

    shown = await api.client.get(links.CONFIRM_PATH, params={"token": token})
    assert shown.status_code == 200
    assert (await Account.get(id=world.alice.id)).email == old
    # The page's form posts back to the link's URL with the token in a field as well.
    await api.client.post(links.CONFIRM_PATH, params={"token": token}, data={"token": token})
    assert (await Account.get(id=world.alice.id)).email == "alice.new@example.be"


async def test_the_unsubscribe_link_asks_and_the_one_click_post_unsubscribes(api, world, settings):
    token = links.unsubscribe_token(settings, world.alice.id, PreferenceKind.CITY_ALERT)

    page = await api.client.get(links.UNSUBSCRIBE_PATH, params={"token": token, "lang": "en"})
    assert page.status_code == 200
    assert '<form method="post">' in page.text
    assert (await preferences.email_preferences(world.alice.id))[PreferenceKind.CITY_ALERT]

    clicked = await api.client.post(
        links.UNSUBSCRIBE_PATH,
        params={"token": token, "lang": "en"},
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert clicked.status_code == 200
    assert not (await preferences.email_preferences(world.alice.id))[PreferenceKind.CITY_ALERT]
