"""What each e-mail says, in French marked for translation: a subject, paragraphs, an
optional button (its label and link) and a closing line. compose.py makes the text and
HTML parts from the same content."""

from __future__ import annotations

from dataclasses import dataclass, field

from models.city import AnnouncementKind
from models.mail import MailKind
from models.moderation import ModerationKind
from permissions.text import Text, tr


@dataclass(frozen=True)
class Action:
    label: Text
    url: str


@dataclass(frozen=True)
class Content:
    subject: Text
    paragraphs: list[str]
    action: Action | None = None
    # Verbatim text written by someone (an announcement's body): never translated.
    quoted: list[str] = field(default_factory=list)
    footer: list[Text] = field(default_factory=list)
    # Bulk e-mails: the one-click unsubscribe link (RFC 8058), also put in the headers.
    unsubscribe: str | None = None


SIGNATURE = tr("L'équipe Quartier")

KIND_LABELS: dict[AnnouncementKind, Text] = {
    AnnouncementKind.INFO: tr("Information"),
    AnnouncementKind.ALERT: tr("Alerte"),
    AnnouncementKind.WORKS: tr("Travaux"),
    AnnouncementKind.MOBILITY: tr("Mobilité"),
    AnnouncementKind.PROJECT: tr("Projet"),
    AnnouncementKind.CONSULTATION: tr("Consultation"),
}


def confirm_email(name: str, url: str) -> Content:
    return Content(
        subject=tr("Confirmez votre adresse e-mail"),
        paragraphs=[
            tr("Bonjour {name},", name=name),
            tr(
                "Pour recevoir les e-mails de Quartier à cette adresse, confirmez-la en "
                "suivant ce lien (valable 7 jours)."
            ),
        ],
        action=Action(tr("Confirmer mon adresse"), url),
        footer=[tr("Si vous n'avez rien demandé, ignorez ce message.")],
    )


def password_reset(name: str, url: str) -> Content:
    return Content(
        subject=tr("Choisissez un nouveau mot de passe"),
        paragraphs=[
            tr("Bonjour {name},", name=name),
            tr(
                "Quelqu'un a demandé un nouveau mot de passe pour votre compte. Ce lien est "
                "valable 30 minutes et ne sert qu'une fois ; il déconnecte toutes vos sessions."
            ),
        ],
        action=Action(tr("Choisir un nouveau mot de passe"), url),
        footer=[tr("Si vous n'avez rien demandé, ignorez ce message : rien ne change.")],
    )


def password_changed(name: str) -> Content:
    return Content(
        subject=tr("Votre mot de passe a changé"),
        paragraphs=[
            tr("Bonjour {name},", name=name),
            tr(
                "Le mot de passe de votre compte vient d'être changé ; vos autres sessions "
                "sont fermées."
            ),
            tr(
                "Si ce n'est pas vous, demandez un nouveau mot de passe depuis la page de "
                "connexion et prévenez la modération."
            ),
        ],
    )


def email_change_confirm(name: str, url: str) -> Content:
    return Content(
        subject=tr("Confirmez votre nouvelle adresse e-mail"),
        paragraphs=[
            tr("Bonjour {name},", name=name),
            tr(
                "Votre compte Quartier utilisera cette adresse dès que vous l'aurez confirmée "
                "en suivant ce lien (valable 7 jours)."
            ),
        ],
        action=Action(tr("Confirmer cette adresse"), url),
        footer=[tr("Si vous n'avez rien demandé, ignorez ce message.")],
    )


def email_change_notice(name: str, new_email: str) -> Content:
    return Content(
        subject=tr("Changement d'adresse e-mail demandé"),
        paragraphs=[
            tr("Bonjour {name},", name=name),
            tr(
                "Votre compte a demandé à utiliser l'adresse {address}. Elle remplacera "
                "celle-ci une fois confirmée depuis cette nouvelle adresse.",
                address=new_email,
            ),
            tr(
                "Si ce n'est pas vous, changez votre mot de passe sans attendre : le lien de "
                "confirmation ne sert à rien sans l'accès à cette nouvelle boîte."
            ),
        ],
    )


def announcement(
    name: str, city: str, kind: AnnouncementKind, title: str, body: str, unsubscribe: str
) -> Content:
    return Content(
        subject=tr("{kind} · {title}", kind=KIND_LABELS[kind], title=title),
        paragraphs=[
            tr("Bonjour {name},", name=name),
            tr("La Ville de {city} vous écrit :", city=city),
        ],
        quoted=[title, *body.split("\n")],
        footer=[
            tr(
                "Vous recevez cet e-mail parce que vous habitez un lieu visé par cette annonce "
                "et que vous avez accepté ce type d'e-mails."
            ),
            tr("Ne plus recevoir ce type d'e-mails : {url}", url=unsubscribe),
        ],
        unsubscribe=unsubscribe,
    )


# What a moderation decision is, told to the person it touched; the reason stays in the app.
DECISIONS: dict[ModerationKind, Text] = {
    ModerationKind.HIDE_CONTENT: tr("Un modérateur a masqué un de vos contenus."),
    ModerationKind.RESTORE_CONTENT: tr("Un modérateur a rétabli un de vos contenus."),
    ModerationKind.DISMISS_REPORTS: tr(
        "Un modérateur a classé sans suite les signalements visant un de vos contenus."
    ),
    ModerationKind.SUSPEND_ACCOUNT: tr("Un modérateur a suspendu votre compte."),
    ModerationKind.REINSTATE_ACCOUNT: tr("Un modérateur a levé la suspension de votre compte."),
    ModerationKind.APPEAL_ACCEPTED: tr("Votre recours a été accepté."),
    ModerationKind.APPEAL_REJECTED: tr("Votre recours a été rejeté."),
}
AUTO_HIDDEN = tr(
    "Un de vos contenus a été masqué après plusieurs signalements, en attendant la décision "
    "d'un modérateur."
)
SEE_IN_APP = tr("Voir dans Quartier")


def _notice_footer(unsubscribe: str) -> list[Text]:
    return [
        tr(
            "Vous recevez cet e-mail parce que vous avez choisi de recevoir ce type de "
            "notifications par e-mail."
        ),
        tr("Ne plus recevoir ce type d'e-mails : {url}", url=unsubscribe),
    ]


def moderation(
    name: str, decision: ModerationKind, automatic: bool, url: str, unsubscribe: str
) -> Content:
    return Content(
        subject=tr("Une décision de modération vous concerne"),
        paragraphs=[
            tr("Bonjour {name},", name=name),
            AUTO_HIDDEN if automatic else DECISIONS[decision],
            tr("Le détail et la motivation de la décision sont dans Quartier."),
        ],
        action=Action(SEE_IN_APP, url),
        footer=_notice_footer(unsubscribe),
        unsubscribe=unsubscribe,
    )


def event_changed(name: str, cancelled: bool, url: str, unsubscribe: str) -> Content:
    if cancelled:
        subject = tr("Un événement auquel vous participez est annulé")
        what = tr("Son organisateur a supprimé un événement auquel vous avez dit participer.")
    else:
        subject = tr("Un événement auquel vous participez a changé")
        what = tr("Son organisateur a modifié un événement auquel vous avez dit participer.")
    return Content(
        subject=subject,
        paragraphs=[tr("Bonjour {name},", name=name), what],
        action=Action(SEE_IN_APP, url),
        footer=_notice_footer(unsubscribe),
        unsubscribe=unsubscribe,
    )


def private_message(name: str, sender: str, url: str, unsubscribe: str) -> Content:
    return Content(
        subject=tr("{sender} vous a écrit sur Quartier", sender=sender),
        paragraphs=[
            tr("Bonjour {name},", name=name),
            tr(
                "{sender} vous a envoyé un message privé. Lisez-le et répondez dans Quartier.",
                sender=sender,
            ),
            tr(
                "Les messages suivants de cette conversation ne donnent pas d'autre e-mail "
                "tant que vous ne l'avez pas lue."
            ),
        ],
        action=Action(tr("Lire la conversation"), url),
        footer=_notice_footer(unsubscribe),
        unsubscribe=unsubscribe,
    )


NEEDS_LINK = {MailKind.CONFIRM_EMAIL, MailKind.PASSWORD_RESET, MailKind.EMAIL_CHANGE_CONFIRM}
