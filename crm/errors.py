"""Our own exceptions. Each carries the exit code the CLI uses for it.

Exit codes: 1 = the operation failed on valid input (nothing matched, ambiguous, conflict),
2 = the input itself is bad (usage, unparsable date, unreadable file). click uses 2 for usage
errors too, so a script can treat 2 as "fix the command line or the file".

Problems of the environment, not of crm or of the input, have their own codes (from
sysexits.h where one fits) so a script can tell "retry after freeing space" from a bug:

| code | exception | cause |
| ---- | --------- | ----- |
| 73 | ReadOnlyLocation | the file or its folder is read-only (a read-only mount, `chattr +i`) |
| 74 | DiskFull | no space left on the device (ENOSPC, EDQUOT, SQLITE_FULL) |
| 75 | NameTooLong | a path, or one name in it, is longer than the system allows |
| 77 | PermissionDenied | the user may not read or write the file or folder |
| 130 | Interrupted | Ctrl-C; the message says what was and was not done |

70 (EX_SOFTWARE) is reserved for a bug in crm.
"""
from __future__ import annotations

import errno

MAX_NAME_BYTES = 255  # one file or folder name, on every common file system
MAX_PATH_BYTES = 4095  # PATH_MAX - 1 on Linux


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


class EnvironmentProblem(CrmError):
    """The machine, not crm or its input, stops the operation (see the table above)."""

    exit_code = 71


class ReadOnlyLocation(EnvironmentProblem):
    exit_code = 73


class DiskFull(EnvironmentProblem):
    exit_code = 74


class NameTooLong(EnvironmentProblem):
    exit_code = 75


class PermissionDenied(EnvironmentProblem):
    exit_code = 77


class Interrupted(CrmError):
    """Ctrl-C, with a message that says truthfully what was done before it."""

    exit_code = 130


_BY_ERRNO = {
    errno.ENOSPC: (DiskFull, "no space left on the device"),
    errno.EDQUOT: (DiskFull, "disk quota exceeded"),
    errno.EROFS: (ReadOnlyLocation, "it is on a read-only file system"),
    errno.EACCES: (PermissionDenied, "permission denied"),
    errno.EPERM: (PermissionDenied, "operation not permitted (an immutable file or folder?)"),
    errno.ENAMETOOLONG: (NameTooLong, "the name is too long"),
}


def environment_error(exc: BaseException, what: str) -> EnvironmentProblem | None:
    """Our error for an OSError or sqlite3 error caused by the environment, else None.
    `what` names the file or the action ("cannot write /x/y.vcf")."""
    if isinstance(exc, OSError) and exc.errno in _BY_ERRNO:
        kind, cause = _BY_ERRNO[exc.errno]
        return kind(f"{what}: {cause}")
    name = type(exc).__name__
    if name in ("OperationalError", "DatabaseError", "IntegrityError"):
        code = getattr(exc, "sqlite_errorcode", None)
        text = str(exc).lower()
        # Primary result codes (the low byte): SQLITE_PERM 3, SQLITE_READONLY 8, SQLITE_FULL 13.
        primary = code & 0xFF if isinstance(code, int) else None
        if primary == 13 or "database or disk is full" in text:
            return DiskFull(f"{what}: the disk is full (free some space and run the command again)")
        if primary == 8 or "readonly database" in text:
            return ReadOnlyLocation(f"{what}: the database or its folder is read-only")
        if primary == 3:
            return PermissionDenied(f"{what}: permission denied")
    return None
