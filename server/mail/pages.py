"""The pages the e-mails' links open, without signing in: confirm an address, choose a new
password, unsubscribe (a page with a button for people; RFC 8058's one-click POST for mail
clients). Plain HTML forms, no script, in the link's language. A GET never acts: mail
scanners and link previews follow links; only the page's POST (or RFC 8058's) changes
anything."""

from __future__ import annotations

import html
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from models.accounts import Language
from permissions.text import Text, tr
from resolvers import account_mail, preferences
from resolvers.errors import UserErrors
from server import i18n
from server.mail import links
from server.settings import Settings

FORM_MAX = 4096
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def _language(request: Request) -> Language:
    asked = request.query_params.get("lang")
    return i18n.language_of(asked, request.headers.get("accept-language"))


def _page(language: Language, title: Text, body: list[str], status: int = 200) -> HTMLResponse:
    say = i18n.translator(language)
    heading = html.escape(say(title))
    return HTMLResponse(
        f'<!doctype html><html lang="{language.value}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex">'
        f"<title>Quartier · {heading}</title></head><body><main><h1>{heading}</h1>"
        f"{''.join(body)}</main></body></html>",
        status_code=status,
        headers=HEADERS,
    )


def _p(language: Language, text: str) -> str:
    return f"<p>{html.escape(i18n.translate(text, language))}</p>"


def _first_error(error: UserErrors) -> str:
    return error.errors[0].message


async def _form(request: Request) -> dict[str, str]:
    body = (await request.body())[:FORM_MAX].decode("utf-8", "replace")
    return {key: values[0] for key, values in parse_qs(body).items()}


def _confirm_form(language: Language, token: str) -> list[str]:
    e = html.escape
    button = e(i18n.translate(tr("Confirmer mon adresse"), language))
    return [
        _p(language, tr("Pour confirmer cette adresse e-mail, appuyez sur le bouton.")),
        f'<form method="post"><input type="hidden" name="token" value="{e(token)}">'
        f'<input type="hidden" name="lang" value="{language.value}">'
        f'<button type="submit">{button}</button></form>',
    ]


async def confirm_email_page(request: Request) -> HTMLResponse:
    """The link's page: it confirms nothing by itself (a mail scanner that follows links
    would), its button does."""
    language = _language(request)
    title = tr("Confirmation de l'adresse e-mail")
    token = request.query_params.get("token", "")
    try:
        await account_mail.check_confirm_token(token)
    except UserErrors as error:
        return _page(language, title, [_p(language, _first_error(error))], 400)
    return _page(language, title, _confirm_form(language, token))


async def confirm_email(request: Request) -> HTMLResponse:
    form = await _form(request)
    language = i18n.language_of(
        form.get("lang") or request.query_params.get("lang"),
        request.headers.get("accept-language"),
    )
    title = tr("Confirmation de l'adresse e-mail")
    token = form.get("token") or request.query_params.get("token", "")
    try:
        await account_mail.confirm_email(token=token)
    except UserErrors as error:
        return _page(language, title, [_p(language, _first_error(error))], 400)
    return _page(language, title, [_p(language, tr("Merci : votre adresse e-mail est confirmée."))])


def _reset_form(language: Language, token: str, error: str | None = None) -> list[str]:
    e = html.escape
    label = e(i18n.translate(tr("Nouveau mot de passe (10 caractères au moins)"), language))
    save = e(i18n.translate(tr("Enregistrer"), language))
    parts = [_p(language, error)] if error else []
    parts.append(
        f'<form method="post"><input type="hidden" name="token" value="{e(token)}">'
        f'<input type="hidden" name="lang" value="{language.value}">'
        f'<label for="password">{label}</label> <input id="password" name="password" '
        'type="password" autocomplete="new-password" required minlength="10"> '
        f'<button type="submit">{save}</button></form>'
    )
    return parts


async def reset_password_form(request: Request) -> HTMLResponse:
    language = _language(request)
    title = tr("Nouveau mot de passe")
    token = request.query_params.get("token", "")
    try:
        await account_mail.check_reset_token(token)
    except UserErrors as error:
        return _page(language, title, [_p(language, _first_error(error))], 400)
    return _page(language, title, _reset_form(language, token))


async def reset_password(request: Request) -> HTMLResponse:
    form = await _form(request)
    language = i18n.language_of(form.get("lang"), request.headers.get("accept-language"))
    title = tr("Nouveau mot de passe")
    token = form.get("token", "")
    try:
        await account_mail.reset_password(token=token, new_password=form.get("password", ""))
    except UserErrors as error:
        field = error.errors[0].field
        if field == "newPassword":
            return _page(language, title, _reset_form(language, token, _first_error(error)), 400)
        return _page(language, title, [_p(language, _first_error(error))], 400)
    done = tr("Votre mot de passe est changé ; toutes vos sessions sont fermées. Connectez-vous.")
    return _page(language, title, [_p(language, done)])


class Unsubscribe:
    """The unsubscribe page and its one-click POST; the settings hold the signing key."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def unsubscribe_page(self, request: Request) -> HTMLResponse:
        language = _language(request)
        title = tr("Se désabonner")
        if (
            links.read_unsubscribe_token(self.settings, request.query_params.get("token", ""))
            is None
        ):
            return _page(language, title, [_p(language, tr("Ce lien n'est pas valide."))], 400)
        button = html.escape(i18n.translate(tr("Ne plus recevoir ces e-mails"), language))
        # The form posts back to this very URL (token and language in its query string).
        form = f'<form method="post"><button type="submit">{button}</button></form>'
        return _page(
            language, title, [_p(language, tr("Ne plus recevoir ce type d'e-mails ?")), form]
        )

    async def unsubscribe(self, request: Request) -> HTMLResponse:
        """RFC 8058: a POST with `List-Unsubscribe=One-Click`, or the page's button."""
        language = _language(request)
        title = tr("Se désabonner")
        found = links.read_unsubscribe_token(self.settings, request.query_params.get("token", ""))
        if found is None:
            return _page(language, title, [_p(language, tr("Ce lien n'est pas valide."))], 400)
        account_id, kind = found
        await preferences.set_email(account_id, kind, False)
        done = tr(
            "C'est fait : vous ne recevrez plus ce type d'e-mails. Les notifications restent "
            "visibles dans Quartier."
        )
        return _page(language, title, [_p(language, done)])


def routes(settings: Settings) -> list[Route]:
    unsubscribing = Unsubscribe(settings)
    return [
        Route(links.CONFIRM_PATH, confirm_email_page, methods=["GET"]),
        Route(links.CONFIRM_PATH, confirm_email, methods=["POST"]),
        Route(links.RESET_PATH, reset_password_form, methods=["GET"]),
        Route(links.RESET_PATH, reset_password, methods=["POST"]),
        Route(links.UNSUBSCRIBE_PATH, unsubscribing.unsubscribe_page, methods=["GET"]),
        Route(links.UNSUBSCRIBE_PATH, unsubscribing.unsubscribe, methods=["POST"]),
    ]
