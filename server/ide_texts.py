"""The moderators' GraphiQL pages' texts, in the reader's language (Accept-Language; the pages
come before any sign-in). The templates hold `{{t.name}}` placeholders; the sign-in script
reads its notices from the page's data attributes, so no text lives in JavaScript."""

from __future__ import annotations

import html

from starlette.requests import Request

from permissions.text import Text, tr
from server import i18n

TEXTS: dict[str, Text] = {
    "title": tr("GraphiQL de modération"),
    "sign_in_title": tr("Connexion à GraphiQL"),
    "reserved": tr("Réservé aux comptes de modération (MODERATOR ou ADMIN)."),
    "open_in_development": tr(
        "En développement, tout compte peut s'y connecter ; en production, seuls les comptes "
        "de modération (MODERATOR ou ADMIN)."
    ),
    "email": tr("Adresse e-mail"),
    "password": tr("Mot de passe"),
    "sign_in": tr("Se connecter"),
    "sign_out": tr("Se déconnecter"),
    "loading": tr("Chargement de GraphiQL…"),
    "notice_session": tr(
        "Votre session GraphiQL a expiré ou a été ouverte dans un autre onglet ; reconnectez-vous."
    ),
    "notice_sortie": tr("Vous êtes déconnecté·e de GraphiQL."),
    "failed": tr("La connexion a échoué."),
}


def page_texts(request: Request) -> dict[str, str]:
    """`t.name` → the escaped text, and `lang` → the language, for graphiql.render."""
    language = i18n.language_of(None, request.headers.get("accept-language"))
    texts = {f"t.{k}": html.escape(i18n.translate(v, language)) for k, v in TEXTS.items()}
    return {**texts, "lang": language.value}
