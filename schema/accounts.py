"""The signed-in account, residents as their neighbours see them, and verification letters.

Other domains add their fields to `Account` (schema/base.contribute): conversations
(schema/messaging.py), the inbox (schema/city.py), e-mail choices (schema/account_mail.py).
"""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from models import accounts as models
from permissions import (
    CanReadResidentContent,
    IsAuthenticated,
    IsResident,
    IsStaff,
    content,
    requires,
)
from permissions.text import Text
from resolvers import accounts, erasure, references
from resolvers.ids import to_global_id
from schema.base import Connection, Node, UserError, attempt
from schema.geography import Neighbourhood, Street


@strawberry.type(description="A resident as their neighbours meet them: their display name alone.")
class Resident(Node):
    row: strawberry.Private[models.Account]
    # True when reached through a post its author shared with the city.
    shared_with_city: strawberry.Private[bool] = False

    @classmethod
    def from_model(cls, row: models.Account) -> Resident:
        return cls(row=row)

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Resident", self.row.id))

    @strawberry.field(
        description="The name given at registration.", extensions=content(CanReadResidentContent)
    )
    def display_name(self, info: Info) -> str | None:
        # An erased account's name is "a former neighbour", in the reader's language; a
        # name someone chose is not a message to look up in the catalogue.
        name = erasure.display_name(self.row)
        return info.context.translate(name) if isinstance(name, Text) else name


@strawberry.federation.type(
    keys=["id"],
    description="The signed-in account, with its personal data: only its owner reaches it.",
)
class Account(Node):
    row: strawberry.Private[models.Account]

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Account | None:
        row = await references.entity(info.context, "Account", id)
        return cls(row=row) if row else None

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Account", self.row.id))

    @strawberry.field
    def display_name(self) -> str:
        return self.row.display_name

    @strawberry.field
    def email(self) -> str | None:
        return self.row.email

    @strawberry.field
    def roles(self) -> list[models.Role]:
        return [self.row.role]

    @strawberry.field(
        description="The signed-in person as others meet them: the `Resident` whose id their "
        "posts, comments and messages carry (compare `author.id` with it)."
    )
    def resident(self) -> Resident:
        return Resident(row=self.row)

    @strawberry.field(description="True once the code of the letter was entered.")
    def is_verified(self) -> bool:
        return self.row.is_verified

    @strawberry.field
    async def street(self, info: Info) -> Street | None:
        if self.row.street_id is None:
            return None
        return Street(row=await info.context.loaders.street.load(self.row.street_id))

    @strawberry.field
    def house_number(self) -> str | None:
        return self.row.house_number

    @strawberry.field
    async def neighbourhood(self, info: Info) -> Neighbourhood | None:
        if self.row.neighbourhood_id is None:
            return None
        return Neighbourhood(
            row=await info.context.loaders.neighbourhood.load(self.row.neighbourhood_id),
            home=True,
        )

    @strawberry.field(description="True once the owner followed the link sent to the address.")
    def email_confirmed(self) -> bool:
        return self.row.email_confirmed

    @strawberry.field(description="fr, nl or en: the language of messages and e-mails.")
    def language(self) -> str:
        return self.row.language


@strawberry.type(
    description="A verification letter, to print and post to the address. Only moderators "
    "reach it (`verificationLetters`, `issueVerificationLetter`)."
)
class VerificationLetter(Node):
    row: strawberry.Private[models.VerificationLetter]

    @classmethod
    def from_model(cls, row: models.VerificationLetter) -> VerificationLetter:
        return cls(row=row)

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("VerificationLetter", self.row.id))

    @strawberry.field(description="The code to print, in two groups of 4 characters.")
    def code(self) -> str:
        return accounts.format_code(self.row.code)

    @strawberry.field
    def status(self) -> models.LetterStatus:
        return self.row.status

    @strawberry.field(description="Wrong codes entered; 5 lock the letter.")
    def failed_attempts(self) -> int:
        return self.row.failed_attempts

    @strawberry.field(
        description="The resident to post it to, whose id `issueVerificationLetter` takes."
    )
    async def recipient(self, info: Info) -> Resident:
        return Resident(row=await info.context.loaders.account.load(self.row.account_id))

    @strawberry.field(description="The display name given at registration.")
    async def recipient_name(self, info: Info) -> str:
        return (await info.context.loaders.account.load(self.row.account_id)).display_name

    @strawberry.field(description="The address to post the letter to.")
    async def street(self, info: Info) -> Street | None:
        account = await info.context.loaders.account.load(self.row.account_id)
        if account.street_id is None:
            return None
        return Street(row=await info.context.loaders.street.load(account.street_id))

    @strawberry.field(description="The address to post the letter to.")
    async def house_number(self, info: Info) -> str | None:
        return (await info.context.loaders.account.load(self.row.account_id)).house_number

    @strawberry.field
    def created_at(self) -> datetime:
        return self.row.created_at


@strawberry.input
class RegisterInput:
    email: str
    password: str
    display_name: str
    street_id: strawberry.ID
    house_number: str


@strawberry.input
class LoginInput:
    email: str
    password: str


@strawberry.input
class VerifyAddressInput:
    code: str


@strawberry.input
class IssueVerificationLetterInput:
    account_id: strawberry.ID


@strawberry.input
class DeleteAccountInput:
    password: str


@strawberry.type
class DeleteAccountPayload:
    deleted_account_id: strawberry.ID | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class AuthPayload:
    token: str | None = None
    viewer: Account | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class LogoutPayload:
    ok: bool


@strawberry.type
class VerifyAddressPayload:
    viewer: Account | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class IssueVerificationLetterPayload:
    letter: VerificationLetter | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def _signed_in(result: tuple[str, models.Account]) -> AuthPayload:
    token, account = result
    return AuthPayload(token=token, viewer=Account(row=account))


@strawberry.type
class AccountQuery:
    @strawberry.field(description="The signed-in account; null without a valid token.")
    def viewer(self, info: Info) -> Account | None:
        viewer = info.context.viewer
        return Account(row=viewer) if viewer else None

    @strawberry.field(
        description="Verification letters, the most recent first.",
        extensions=requires(IsStaff),
    )
    async def verification_letters(
        self,
        status: models.LetterStatus = models.LetterStatus.PENDING,
        first: int | None = 100,
        after: str | None = None,
    ) -> Connection[VerificationLetter]:
        page = await accounts.pending_letters(status, first, after)
        return Connection.of(page, VerificationLetter.from_model)


@strawberry.type
class AccountMutation:
    @strawberry.mutation(description="Registers a resident; a verification letter is sent.")
    async def register(self, info: Info, input: RegisterInput) -> AuthPayload:
        action = accounts.register(
            info.context,
            email=input.email,
            password=input.password,
            display_name=input.display_name,
            street_id=input.street_id,
            house_number=input.house_number,
        )
        return await attempt(action, _signed_in, lambda errors: AuthPayload(user_errors=errors))

    @strawberry.mutation
    async def login(self, info: Info, input: LoginInput) -> AuthPayload:
        action = accounts.login(info.context, email=input.email, password=input.password)
        return await attempt(action, _signed_in, lambda errors: AuthPayload(user_errors=errors))

    @strawberry.mutation(
        description="Revokes the request's token.", extensions=requires(IsAuthenticated)
    )
    async def logout(self, info: Info) -> LogoutPayload:
        return LogoutPayload(ok=await accounts.logout(info.context))

    @strawberry.mutation(
        description="Erase the signed-in account at once (GDPR): its name, email, address, "
        "tokens, posts and comments go; messages it sent stay readable by the other "
        "participant, from a former neighbour; consultation answers stay as anonymous counts; "
        "the moderation log keeps a pseudonym. A wrong password changes nothing.",
        extensions=requires(IsAuthenticated),
    )
    async def delete_account(self, info: Info, input: DeleteAccountInput) -> DeleteAccountPayload:
        return await attempt(
            erasure.delete_account(info.context, password=input.password),
            lambda pk: DeleteAccountPayload(
                deleted_account_id=strawberry.ID(to_global_id("Account", pk))
            ),
            lambda errors: DeleteAccountPayload(user_errors=errors),
        )

    @strawberry.mutation(
        description="Enter the code of the letter received; 5 wrong codes lock it.",
        extensions=requires(IsResident),
    )
    async def verify_address(self, info: Info, input: VerifyAddressInput) -> VerifyAddressPayload:
        return await attempt(
            accounts.verify_address(info.context, code=input.code),
            lambda account: VerifyAddressPayload(viewer=Account(row=account)),
            lambda errors: VerifyAddressPayload(user_errors=errors),
        )

    @strawberry.mutation(
        description="A new letter for a resident (after 5 wrong codes, for instance).",
        extensions=requires(IsStaff),
    )
    async def issue_verification_letter(
        self, input: IssueVerificationLetterInput
    ) -> IssueVerificationLetterPayload:
        return await attempt(
            accounts.issue_letter(input.account_id),
            lambda letter: IssueVerificationLetterPayload(letter=VerificationLetter(row=letter)),
            lambda errors: IssueVerificationLetterPayload(user_errors=errors),
        )
