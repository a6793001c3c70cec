"""Our own exceptions. Each carries the exit code the CLI uses for it.

Exit codes: 1 = the operation failed on valid input (nothing matched, ambiguous, conflict),
2 = the input itself is bad (usage, unparsable date, unreadable file). click uses 2 for usage
errors too, so a script can treat 2 as "fix the command line or the file".
"""
from __future__ import annotations


class CrmError(Exception):
    """Base class: a message meant for the user, and an exit code."""

    exit_code = 1

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotFound(CrmError):
    """A contact, application, offer or touchpoint the user named does not exist."""


class Ambiguous(CrmError):
    """A name matches more than one record and none clearly best."""


class InvalidInput(CrmError):
    """A value on the command line is malformed (bad date, unknown kind, bad role...)."""

    exit_code = 2


class FormatError(CrmError):
    """A file could not be read as the format it claims to be."""

    exit_code = 2


class StorageError(CrmError):
    """The database cannot be opened, is not a crm database, or is damaged."""

    exit_code = 1
