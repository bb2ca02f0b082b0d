"""The automatic hiding's reason reads in its reader's language: the author's `hiddenReason`
and notification, a moderator's log, the log's older French wording included."""

from __future__ import annotations

from tortoise.timezone import now

from models.accounts import Account, Role
from models.city import Notification, NotificationKind
from models.moderation import ModerationAction, ModerationKind, SubjectType
from tests.support import make_resident, make_staff, run_contract
from tests.test_moderation import MODERATION, create_post, report

NOTICES = "{ viewer { notifications { edges { node { kind subjectId reason } } } } }"
HIDDEN = "query($id: ID!) { post(id: $id) { hidden hiddenReason } }"
OLD_WORDING = "Masqué automatiquement après 4 signalements, en attente d'un modérateur."


async def _hidden_by_reports(api, world) -> str:
    post = await create_post(api, world.alice_token)
    for name in ("Dora", "Eve"):
        _, token = await make_resident(world.centre_street, name)
        await report(api, token, post)
    await report(api, world.bob_token, post)
    return post


async def _reasons_read_by_alice(api, world, post):
    shown = await api(HIDDEN, {"id": post}, world.alice_token)
    notices = await api(NOTICES, token=world.alice_token)
    [notice] = [e["node"] for e in notices["data"]["viewer"]["notifications"]["edges"]]
    return shown["data"]["post"], notice


async def test_an_automatic_hiding_reads_in_dutch_for_a_dutch_author(api, world):
    await Account.filter(id=world.alice.id).update(language="nl")
    post = await _hidden_by_reports(api, world)

    post_seen, notice = await _reasons_read_by_alice(api, world, post)

    dutch = "Verborgen in afwachting van de beslissing van een moderator."
    assert post_seen == {"hidden": True, "hiddenReason": dutch}
    assert (notice["kind"], notice["reason"]) == ("MODERATION", dutch)


async def test_an_automatic_hiding_reads_in_english_for_an_english_author(api, world):
    await Account.filter(id=world.alice.id).update(language="en")
    post = await _hidden_by_reports(api, world)

    post_seen, notice = await _reasons_read_by_alice(api, world, post)

    english = "Hidden pending a moderator's decision."
    assert post_seen == {"hidden": True, "hiddenReason": english}
    assert notice["reason"] == english


async def test_a_moderators_own_words_are_never_translated(api, world, moderator_token):
    await Account.filter(id=world.alice.id).update(language="en")
    post = await create_post(api, world.alice_token)
    # Exactly a message the catalogue knows: still the moderator's words, left as written.
    reason = "Travaux"
    await run_contract(
        api,
        MODERATION,
        "Moderate",
        {"input": {"kind": "HIDE_CONTENT", "reason": reason, "contentIds": [post]}},
        moderator_token,
    )

    post_seen, notice = await _reasons_read_by_alice(api, world, post)

    assert post_seen["hiddenReason"] == reason
    assert notice["reason"] == reason


async def test_old_log_rows_read_in_the_readers_language_without_rewriting_the_log(api, world):
    # A row of the older release: automatic (no moderator), its wording with the count.
    action = await ModerationAction.create(
        moderator_id=None,
        kind=ModerationKind.HIDE_CONTENT,
        subject_type=SubjectType.POST,
        subject_id=1,
        affected_account_id=world.alice.id,
        reason=OLD_WORDING,
        created_at=now(),
    )
    await Notification.create(
        account_id=world.alice.id,
        kind=NotificationKind.MODERATION,
        moderation_action_id=action.id,
        created_at=action.created_at,
    )
    await Account.filter(id=world.alice.id).update(language="nl")
    moderator, token = await make_staff(Role.MODERATOR, "Mo Derator")
    await Account.filter(id=moderator.id).update(language="en")

    notices = await api(NOTICES, token=world.alice_token)
    log = await run_contract(api, MODERATION, "ModerationLog", token=token)

    [notice] = [e["node"] for e in notices["data"]["viewer"]["notifications"]["edges"]]
    # The author never learns how many reported; the moderator's log keeps the count.
    assert notice["reason"] == "Verborgen in afwachting van de beslissing van een moderator."
    [entry] = [e["node"] for e in log["data"]["moderationLog"]["edges"]]
    assert entry["reason"] == "Hidden automatically after 4 reports, pending a moderator."
    assert (await ModerationAction.get(id=action.id)).reason == OLD_WORDING
