"""A read-only IMAP client for one folder: what `crm mail import imaps://...` needs, no more.

It speaks the protocol through imapclient (imported lazily); what to do with the messages is
decided above it. Read-only by construction: the folder is opened with EXAMINE (SELECT
read-only) and bodies are fetched with BODY.PEEK, so nothing is ever marked \\Seen.

TLS is verified against the system's trust store (imaps://); plain imap:// is refused unless the
host is this machine. The password is given by the caller and never appears in an error.
"""
from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterator
from urllib.parse import unquote, urlsplit

from crm.errors import CrmError, InvalidInput
from crm.net.local import is_loopback

TIMEOUT_SECONDS = 30
BATCH = 500


class ImapError(CrmError):
    """The server could not be reached, refused the login, or failed a command."""


@dataclass(frozen=True)
class ImapUrl:
    secure: bool
    user: str
    host: str
    port: int
    folder: str

    @property
    def label(self) -> str:
        """The URL as shown and stored: no password, ever."""
        scheme = "imaps" if self.secure else "imap"
        return f"{scheme}://{self.user}@{self.host}:{self.port}/{self.folder}"


def is_imap_url(text: str) -> bool:
    return text.lower().startswith(("imap://", "imaps://"))


def parse_imap_url(text: str) -> ImapUrl:
    """imaps://USER@HOST[:PORT]/FOLDER (folder default INBOX). A password in the URL is refused."""
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in ("imap", "imaps"):
        raise InvalidInput("not an IMAP URL: use imaps://USER@HOST[:PORT]/FOLDER")
    if parts.password is not None:
        raise InvalidInput("do not put the password in the URL; set CRM_IMAP_PASSWORD or type it when asked")
    host = parts.hostname or ""
    if not host or not parts.username:
        raise InvalidInput("an IMAP URL needs a user and a host: imaps://USER@HOST[:PORT]/FOLDER")
    try:
        port = parts.port or (993 if scheme == "imaps" else 143)
    except ValueError:
        raise InvalidInput("the port in the IMAP URL is not a number") from None
    if scheme == "imap" and not is_loopback(host):
        raise InvalidInput(f"plain imap:// to {host} would send your password unencrypted; use imaps://")
    folder = unquote(parts.path.lstrip("/")) or "INBOX"
    return ImapUrl(scheme == "imaps", unquote(parts.username), host, port, folder)


@dataclass(frozen=True)
class Fetched:
    uid: int
    header: bytes
    arrived: datetime | None  # INTERNALDATE, aware
    calendar_parts: tuple[tuple[bytes, bytes], ...]  # (text/calendar part as sent, its transfer encoding)


class ImapFolder:
    """One folder opened read-only. Use as a context manager."""

    def __init__(self, url: ImapUrl, password: str, *, timeout: float = TIMEOUT_SECONDS):
        self.url = url
        self._password = password
        self._timeout = timeout
        self._client = None
        self.uidvalidity = 0
        self.uidnext = 0

    def __enter__(self) -> ImapFolder:
        import imapclient
        from imapclient.exceptions import IMAPClientError, LoginError

        url = self.url
        context = ssl.create_default_context() if url.secure else None  # verifies certificate and host name
        try:
            client = imapclient.IMAPClient(url.host, port=url.port, ssl=url.secure, ssl_context=context,
                                           timeout=self._timeout)
        except ssl.SSLError as exc:
            raise ImapError(f"TLS to {url.host}:{url.port} failed: {self._scrub(exc)}") from None
        except (OSError, socket.timeout) as exc:
            raise ImapError(f"cannot reach {url.host}:{url.port}: {self._scrub(exc)}") from None
        self._client = client
        try:
            client.login(url.user, self._password)
        except LoginError as exc:
            self._close()
            raise ImapError(f"{url.host} refused the login for {url.user}: {self._scrub(exc)}") from None
        except (IMAPClientError, OSError) as exc:
            self._close()
            raise ImapError(f"login to {url.host} failed: {self._scrub(exc)}") from None
        try:
            status = client.select_folder(url.folder, readonly=True)
        except (IMAPClientError, OSError) as exc:
            self._close()
            raise ImapError(f"cannot open folder {url.folder!r} on {url.host}: {self._scrub(exc)}") from None
        self.uidvalidity = int(status.get(b"UIDVALIDITY", 0))
        self.uidnext = int(status.get(b"UIDNEXT", 0))
        return self

    def __exit__(self, *exc_info) -> None:
        self._close()

    def _close(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        try:
            client.logout()
        except Exception:  # the connection is going away either way
            try:
                client.shutdown()
            except Exception:
                pass

    def _scrub(self, exc: BaseException) -> str:
        """An exception's text, never containing the password (servers may echo a command)."""
        text = exc.args[0] if exc.args else str(exc)
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        text = " ".join(str(text).split()) or type(exc).__name__
        if text[:2] in ("b'", 'b"') and text[-1:] == text[1]:  # imapclient passes on the bytes' repr
            text = text[2:-1]
        if self._password:
            text = text.replace(self._password, "***")
        return text[:200]

    def uids_after(self, last_uid: int) -> list[int]:
        """UIDs greater than `last_uid`, ascending (UID n:* always names the newest message too)."""
        from imapclient.exceptions import IMAPClientError

        try:
            found = self._client.search(["UID", f"{last_uid + 1}:*"])
        except (IMAPClientError, OSError) as exc:
            raise ImapError(f"search in {self.url.folder!r} failed: {self._scrub(exc)}") from None
        return sorted(uid for uid in found if uid > last_uid)

    def fetch(self, uids: list[int]) -> Iterator[Fetched]:
        """Headers (BODY.PEEK[HEADER]), arrival time and calendar parts of these messages."""
        from imapclient.exceptions import IMAPClientError

        if not uids:
            return
        try:
            data = self._client.fetch(uids, ["BODY.PEEK[HEADER]", "INTERNALDATE", "BODYSTRUCTURE"])
            wanted: dict[int, list[tuple[str, bytes]]] = {}
            for uid, item in data.items():
                parts = list(_calendar_parts(item.get(b"BODYSTRUCTURE")))
                if parts:
                    wanted[uid] = parts
            bodies: dict[int, dict] = {}
            for uid, parts in wanted.items():
                bodies[uid] = self._client.fetch([uid], [f"BODY.PEEK[{number}]" for number, _ in parts])[uid]
        except (IMAPClientError, OSError) as exc:
            raise ImapError(f"fetching from {self.url.folder!r} failed: {self._scrub(exc)}") from None
        for uid in sorted(data):
            item = data[uid]
            arrived = item.get(b"INTERNALDATE")
            if isinstance(arrived, datetime) and arrived.tzinfo is None:
                arrived = arrived.astimezone(timezone.utc)  # imapclient gives local naive time by default
            calendars = []
            for number, encoding in wanted.get(uid, ()):
                body = bodies.get(uid, {}).get(f"BODY[{number}]".encode())
                if body:
                    calendars.append((body, encoding))
            yield Fetched(uid, item.get(b"BODY[HEADER]") or b"", arrived, tuple(calendars))


def _calendar_parts(structure, prefix: str = "") -> Iterator[tuple[str, bytes]]:
    """(part number, transfer encoding) of every text/calendar part in a BODYSTRUCTURE."""
    if structure is None:
        return
    if getattr(structure, "is_multipart", False) or (structure and isinstance(structure[0], list)):
        children = structure[0]
        for index, child in enumerate(children, 1):
            yield from _calendar_parts(child, f"{prefix}{index}.")
        return
    try:
        maintype, subtype = bytes(structure[0]).lower(), bytes(structure[1]).lower()
    except (TypeError, IndexError):
        return
    if (maintype, subtype) == (b"text", b"calendar"):
        encoding = bytes(structure[5] or b"7bit").lower() if len(structure) > 5 else b"7bit"
        yield (prefix.rstrip(".") or "1"), encoding

