"""Every message marked with `tr(...)` has a Dutch and an English translation with the same
placeholders, and the compiled catalogues the server reads are there."""

from __future__ import annotations

import re

from models.accounts import Language
from permissions.text import tr
from server import catalogues, i18n

PLACEHOLDER = re.compile(r"\{(\w*)\}")


def test_every_message_has_a_dutch_and_an_english_translation():
    assert {c.language: c.missing for c in catalogues.coverage()} == {"nl": [], "en": []}


def test_translations_keep_the_placeholders_of_their_message():
    wrong = {}
    for language in i18n.TRANSLATED:
        for entry in catalogues.load(language.value):
            if entry.id and entry.string:
                expected = sorted(PLACEHOLDER.findall(str(entry.id)))
                if sorted(PLACEHOLDER.findall(str(entry.string))) != expected:
                    wrong[(language.value, entry.id)] = entry.string
    assert wrong == {}


def test_the_server_reads_the_compiled_catalogues():
    text = tr("Bonjour {name},", name="Lotte")
    assert i18n.translate(text, Language.NL) == "Beste Lotte,"
    assert i18n.translate(text, Language.EN) == "Hello Lotte,"
    assert i18n.translate(text, Language.FR) == "Bonjour Lotte,"


def test_accept_language_picks_the_first_of_our_languages_by_weight():
    assert i18n.from_accept_language("de-DE,de;q=0.9,nl;q=0.3,en;q=0.5") is Language.EN
    assert i18n.from_accept_language("nl-BE") is Language.NL
    assert i18n.from_accept_language("de, *;q=0.1") is None
    assert i18n.from_accept_language("en;q=0, fr;q=0.2") is Language.FR
    assert i18n.from_accept_language("garbage;;q=x") is None
    assert i18n.language_of(None, None) is Language.FR
    assert i18n.language_of("en", "nl") is Language.EN
