"""An account's e-mail address, password and preferences: confirmation, reset, changes,
language and which notifications also come by e-mail."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from models.accounts import Account as AccountRow
from models.mail import PreferenceKind
from permissions import IsAuthenticated, requires
from resolvers import account_mail, preferences
from schema.accounts import Account
from schema.base import UserError, attempt, contribute

strawberry.enum(
    PreferenceKind,
    description="A kind of notification a resident may also receive by e-mail.",
)
PREFERENCE_DESCRIPTIONS = {
    PreferenceKind.CITY_ALERT: "The city's alerts (announcements of kind ALERT).",
    PreferenceKind.CITY_ANNOUNCEMENT: "The city's other announcements.",
    PreferenceKind.MODERATION: "A moderator's decision about the resident's content, account "
    "or appeal; the e-mail says what was decided, the reason stays in the app.",
    PreferenceKind.EVENT_CHANGED: "An event the resident attends was changed or cancelled.",
    PreferenceKind.PRIVATE_MESSAGE: "A new private message: one e-mail per conversation "
    "until it is read (none again within 15 minutes), naming the sender, never the words.",
}
for _value in PreferenceKind.__strawberry_definition__.values:  # type: ignore[attr-defined]
    _value.description = PREFERENCE_DESCRIPTIONS[PreferenceKind(_value.value)]


@strawberry.type(description="Whether one kind of notification also comes by e-mail.")
class NotificationPreference:
    kind: PreferenceKind
    in_app: bool = strawberry.field(description="Always true: every notification shows in the app.")
    email: bool = strawberry.field(
        description="Also by e-mail. Off by default, except city alerts (CITY_ALERT)."
    )


async def notification_preferences(account_id: int) -> list[NotificationPreference]:
    chosen = await preferences.email_preferences(account_id)
    return [
        NotificationPreference(kind=kind, in_app=True, email=email)
        for kind, email in chosen.items()
    ]


@strawberry.type
class AccountMailChoices:
    """What e-mail adds to `Account`."""

    row: strawberry.Private[AccountRow]

    @strawberry.field(description="Which notifications also come by e-mail, per kind.")
    async def notification_preferences(self) -> list[NotificationPreference]:
        return await notification_preferences(self.row.id)


contribute(Account, AccountMailChoices)


@strawberry.input
class ConfirmEmailInput:
    token: str = strawberry.field(description="The token of the link in the e-mail.")


@strawberry.input
class RequestPasswordResetInput:
    email: str


@strawberry.input
class ResetPasswordInput:
    token: str = strawberry.field(description="The token of the link in the e-mail.")
    new_password: str


@strawberry.input
class ChangePasswordInput:
    current_password: str
    new_password: str


@strawberry.input
class ChangeEmailInput:
    new_email: str
    current_password: str


@strawberry.input
class EmailPreferenceInput:
    kind: PreferenceKind
    email: bool


@strawberry.input
class SetPreferencesInput:
    language: str | None = strawberry.field(
        default=None, description="fr, nl or en: the language of messages and e-mails."
    )
    email: list[EmailPreferenceInput] | None = strawberry.field(
        default=None, description="Kinds to receive by e-mail or not; others stay as they are."
    )


@strawberry.type
class AccountActionPayload:
    ok: bool = False
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ChangeEmailPayload:
    pending_email: str | None = strawberry.field(
        default=None, description="The address that becomes the account's once confirmed."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class SetPreferencesPayload:
    viewer: Account | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def _done(_result: object) -> AccountActionPayload:
    return AccountActionPayload(ok=True)


def _refused(errors: list[UserError]) -> AccountActionPayload:
    return AccountActionPayload(user_errors=errors)


@strawberry.type
class AccountMailMutation:
    @strawberry.mutation(
        description="Confirms the address an e-mail's link was sent to (registration's, or the "
        "new one of changeEmail). No sign-in needed: the token is the proof."
    )
    async def confirm_email(self, input: ConfirmEmailInput) -> AccountActionPayload:
        return await attempt(account_mail.confirm_email(token=input.token), _done, _refused)

    @strawberry.mutation(
        description="Sends the confirmation link again to the signed-in account's address.",
        extensions=requires(IsAuthenticated),
    )
    async def resend_email_confirmation(self, info: Info) -> AccountActionPayload:
        return await attempt(account_mail.resend_confirmation(info.context), _done, _refused)

    @strawberry.mutation(
        description="Sends a password reset link (valid 30 minutes, single use) if an account "
        "has this confirmed address. Answers the same whether or not one does."
    )
    async def request_password_reset(
        self, input: RequestPasswordResetInput
    ) -> AccountActionPayload:
        return await attempt(
            account_mail.request_password_reset(email=input.email), _done, _refused
        )

    @strawberry.mutation(
        description="Sets a new password with a reset link's token (same strength rules as "
        "registration) and ends every session of the account."
    )
    async def reset_password(self, input: ResetPasswordInput) -> AccountActionPayload:
        action = account_mail.reset_password(token=input.token, new_password=input.new_password)
        return await attempt(action, _done, _refused)

    @strawberry.mutation(
        description="Changes the password (the current one is required) and ends every other "
        "session; this one stays signed in.",
        extensions=requires(IsAuthenticated),
    )
    async def change_password(self, info: Info, input: ChangePasswordInput) -> AccountActionPayload:
        action = account_mail.change_password(
            info.context, current_password=input.current_password, new_password=input.new_password
        )
        return await attempt(action, _done, _refused)

    @strawberry.mutation(
        description="Asks to change the e-mail address: a link goes to the new address, which "
        "replaces the old once followed; the old address is told.",
        extensions=requires(IsAuthenticated),
    )
    async def change_email(self, info: Info, input: ChangeEmailInput) -> ChangeEmailPayload:
        action = account_mail.change_email(
            info.context, new_email=input.new_email, current_password=input.current_password
        )
        return await attempt(
            action,
            lambda address: ChangeEmailPayload(pending_email=address),
            lambda errors: ChangeEmailPayload(user_errors=errors),
        )

    @strawberry.mutation(
        description="The signed-in account's language and e-mail choices.",
        extensions=requires(IsAuthenticated),
    )
    async def set_preferences(
        self, info: Info, input: SetPreferencesInput
    ) -> SetPreferencesPayload:
        chosen = [(p.kind, p.email) for p in input.email] if input.email is not None else None
        action = preferences.update(info.context, language=input.language, email=chosen)
        return await attempt(
            action,
            lambda account: SetPreferencesPayload(viewer=Account(row=account)),
            lambda errors: SetPreferencesPayload(user_errors=errors),
        )
