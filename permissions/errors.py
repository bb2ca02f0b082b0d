"""Errors that reach the client with an `extensions.code`; everything else is masked."""

from __future__ import annotations

from permissions.text import tr


class CodedError(Exception):
    """An error whose message is safe to show; graphql-core copies `extensions` to the response."""

    code = "INTERNAL"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.extensions = {"code": self.code}


class Unauthenticated(CodedError):
    code = "UNAUTHENTICATED"

    def __init__(self, message: str = tr("Connectez-vous pour continuer.")) -> None:
        super().__init__(message)


class Forbidden(CodedError):
    code = "FORBIDDEN"

    def __init__(self, message: str = tr("Vous n'avez pas accès à cette action.")) -> None:
        super().__init__(message)


class NotFound(CodedError):
    code = "NOT_FOUND"

    def __init__(self, message: str = "Introuvable.") -> None:
        super().__init__(message)


class BadInput(CodedError):
    code = "BAD_USER_INPUT"
