"""Mail: message headers from bytes, and the messages of a Maildir, an mbox or .eml files.

What is read: From, To, Cc, Bcc, Date, Subject, Message-ID, and any text/calendar part (an
invite). Bodies are never kept: the readers stream through them, line by line, looking only for
calendar parts, so a 20 MB attachment costs time, not memory. Nothing here knows the database.

Bad input is tolerated, never fatal: an undecodable subject is decoded with replacement
characters and a warning, a message whose headers are cut off is skipped with a warning, and
the messages before and after it are read as usual.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import os
import quopri
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from email.header import decode_header
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path
from typing import BinaryIO, Iterator

MAX_HEADER_BYTES = 256 * 1024  # more than this before the blank line: not headers any more
MAX_CALENDAR_BYTES = 1024 * 1024  # a larger "invite" is not an invite
_BOUNDARY = re.compile(rb'boundary\s*=\s*(?:"([^"]+)"|([^\s;]+))', re.IGNORECASE)


@dataclass(frozen=True)
class Address:
    name: str
    email: str  # as written; compare with crm.text.email_key


@dataclass(frozen=True)
class Headers:
    """One message's headers, decoded. `key` identifies the message across folders and runs."""

    key: str
    message_id: str | None
    sender: Address | None
    recipients: tuple[Address, ...]  # To, Cc and Bcc, in that order, each address once
    date: datetime | None  # aware (a Date without a zone is read as UTC); None when missing or broken
    subject: str
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Message:
    headers: Headers
    where: str  # file (and offset in an mbox, UID on IMAP), for warnings
    arrived: datetime | None = None  # aware: Maildir file time, mbox From_ line, IMAP INTERNALDATE
    calendars: tuple[bytes, ...] = ()  # decoded text/calendar parts


@dataclass(frozen=True)
class Unreadable:
    """A message that could not be read at all (its headers are cut off, or it is not mail)."""

    where: str
    reason: str


# ---- headers ---------------------------------------------------------------------------------


def parse_headers(raw: bytes) -> Headers:
    """Decode the header block of one message (bytes up to the blank line)."""
    fields = _fields(raw)
    warnings: list[str] = []

    def first(name: str) -> str:
        values = fields.get(name)
        return values[0] if values else ""

    def addresses(*names: str) -> list[Address]:
        found = []
        for name in names:
            for value in fields.get(name, ()):
                for display, email in _addresses(value):
                    email = email.strip()
                    if "@" in email and email.isascii():
                        found.append(Address(decode_words(display, warnings, name).strip(), email))
        return found

    senders = addresses("from")
    sender = senders[0] if senders else None
    seen: set[str] = set()
    recipients = []
    for address in addresses("to", "cc", "bcc"):
        if address.email.lower() not in seen:
            seen.add(address.email.lower())
            recipients.append(address)
    raw_date = first("date")
    date = parse_date(raw_date)
    if raw_date and date is None:
        warnings.append(f"unreadable Date {raw_date[:60]!r}")
    subject = " ".join(decode_words(first("subject"), warnings, "Subject").split())
    message_id = _message_id(first("message-id"))
    if message_id is not None:
        key = message_id
    else:
        # The same message seen twice (a Sent copy and its arrival) carries the same three headers.
        basis = "\n".join((sender.email.lower() if sender else "", raw_date, subject))
        key = "sha256:" + hashlib.sha256(basis.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return Headers(key, message_id, sender, tuple(recipients), date, subject, tuple(warnings))


_WANTED = frozenset({"from", "to", "cc", "bcc", "date", "subject", "message-id"})
_ROUTE = re.compile(r'^\s*"?([^"<>]*?)"?\s*<([^<>\s]+@[^<>\s]+)>\s*$')
_BARE = re.compile(r"^\s*([^\s<>\"(),;:]+@[^\s<>\"(),;:]+)\s*$")


def _fields(raw: bytes) -> dict[str, list[str]]:
    """The header fields we read, unfolded, by lower-case name. Raw 8-bit bytes are kept as
    surrogate escapes, for decode_words to try the likely charsets on."""
    fields: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in raw.decode("ascii", "surrogateescape").split("\n"):
        line = line.rstrip("\r")
        if line[:1] in (" ", "\t"):
            if current is not None:
                current[-1] += " " + line.strip()
            continue
        name, colon, value = line.partition(":")
        name = name.strip().lower()
        if not colon or name not in _WANTED:
            current = None
            continue
        current = fields.setdefault(name, [])
        current.append(value.strip())
    return fields


def _addresses(value: str) -> list[tuple[str, str]]:
    """(display name, address) pairs: the plain forms by a quick match, anything else (quoted
    commas, comments, groups) by the standard library's full parser."""
    if '"' not in value and "(" not in value and ":" not in value and ";" not in value:
        pairs = []
        for part in value.split(","):
            if not part.strip():
                continue
            match = _ROUTE.match(part)
            if match:
                pairs.append((match.group(1), match.group(2)))
                continue
            match = _BARE.match(part)
            if not match:
                break
            pairs.append(("", match.group(1)))
        else:
            return pairs
    return getaddresses([value])


def decode_words(value: str, warnings: list[str], name: str = "header") -> str:
    """RFC 2047 encoded words (=?charset?B/Q?...?=) and raw 8-bit bytes, to text.

    Raw bytes reach us as surrogate escapes; they are read as UTF-8, else Windows-1252 (the
    usual culprit), with a warning. An unknown charset decodes with replacement characters.
    """
    if "\n" in value:
        value = _unfold(value)
    if "=?" not in value:
        return _from_raw(value, warnings, name)
    try:
        parts = decode_header(value)
    except Exception:  # a malformed encoded word: keep the text as written
        warnings.append(f"malformed encoded word in {name}")
        return _from_raw(value, warnings, name)
    out = []
    for chunk, charset in parts:
        if isinstance(chunk, str):
            out.append(_from_raw(chunk, warnings, name))
            continue
        try:
            out.append(chunk.decode(charset or "ascii"))
        except (LookupError, UnicodeDecodeError):
            warnings.append(f"{name} in an unknown or wrong charset ({charset}); decoded with replacements")
            out.append(chunk.decode("utf-8", "replace"))
    return "".join(out)


def _from_raw(value: str, warnings: list[str], name: str) -> str:
    if value.isascii() or not any("\udc80" <= ch <= "\udcff" for ch in value):
        return value
    raw = value.encode("utf-8", "surrogateescape")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        warnings.append(f"{name} is not UTF-8; read as Windows-1252")
        return raw.decode("cp1252", "replace")


def _unfold(value: str) -> str:
    return re.sub(r"\r?\n[ \t]+", " ", value).strip()


def _message_id(value: str) -> str | None:
    value = _unfold(value)
    match = re.search(r"<([^<>\s]+)>", value)
    if match:
        return match.group(1)
    value = value.strip()
    return value if value and " " not in value else None


def parse_date(value: str) -> datetime | None:
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment is None:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


# ---- one message from a stream of lines --------------------------------------------------------


class _Cut(Exception):
    """The stream ended inside a message's headers (which it carries)."""

    def __init__(self, raw: bytes):
        super().__init__("cut")
        self.raw = raw


def _read_message(lines: Iterator[bytes]) -> tuple[Headers, tuple[bytes, ...]]:
    """Consume one message's lines (headers, then the body, scanned for calendar parts)."""
    header_lines: list[bytes] = []
    size = 0
    ended = False
    for line in lines:
        if line in (b"\n", b"\r\n"):
            ended = True
            break
        header_lines.append(line)
        size += len(line)
        if size > MAX_HEADER_BYTES:
            ended = True  # runaway headers: read what we have, the rest is body
            break
    raw = b"".join(header_lines)
    if not ended:
        raise _Cut(raw)
    headers = parse_headers(raw)
    return headers, _calendar_parts(raw, lines)


def _calendar_parts(top_headers: bytes, lines: Iterator[bytes]) -> tuple[bytes, ...]:
    """Stream through a body, keeping only its text/calendar parts (decoded), at most a few MB."""
    content_type = _field(top_headers, b"content-type")
    if content_type.startswith(b"text/calendar"):
        encoding = _field(top_headers, b"content-transfer-encoding")
        body = _take(lines, None)
        return (decode_part(body, encoding),) if body is not None else ()
    if not content_type.startswith(b"multipart/"):
        return ()  # a plain body: not even read (an mbox reader skips it to the next message)
    boundaries = set(_boundaries(content_type))
    found: list[bytes] = []
    in_part_headers = False
    part: list[bytes] = []
    for line in lines:
        if line.startswith(b"--") and line.rstrip(b"\r\n").rstrip(b"-")[2:] in boundaries:
            in_part_headers, part = True, []
            continue
        if in_part_headers:
            if line in (b"\n", b"\r\n"):
                in_part_headers = False
                part_headers = b"".join(part)
                part_type = _field(part_headers, b"content-type")
                if part_type.startswith(b"multipart/"):
                    boundaries.update(_boundaries(part_type))
                elif part_type.startswith(b"text/calendar"):
                    body = _take(lines, boundaries)
                    if body is not None:
                        found.append(decode_part(body, _field(part_headers, b"content-transfer-encoding")))
                    in_part_headers, part = True, []  # _take stopped at a boundary line
            else:
                part.append(line)
    return tuple(found)


def _take(lines: Iterator[bytes], boundaries: set[bytes] | None) -> bytes | None:
    """Lines up to the next boundary (or the end, without boundaries); None when the part is too
    large to be an invite."""
    kept: list[bytes] = []
    size = 0
    for line in lines:
        if boundaries is not None and line.startswith(b"--") and line.rstrip(b"\r\n").rstrip(b"-")[2:] in boundaries:
            break
        size += len(line)
        if size <= MAX_CALENDAR_BYTES:
            kept.append(line)
    return b"".join(kept) if size <= MAX_CALENDAR_BYTES else None


def _field(headers: bytes, name: bytes) -> bytes:
    """One header's value, lower-cased and unfolded (for Content-Type and its encoding)."""
    match = re.search(rb"(?im)^" + re.escape(name) + rb"[ \t]*:(.*(?:\r?\n[ \t].*)*)", headers)
    return re.sub(rb"\s+", b" ", match.group(1)).strip().lower() if match else b""


def _boundaries(content_type: bytes) -> list[bytes]:
    return [(m.group(1) or m.group(2)) for m in _BOUNDARY.finditer(content_type)]


def decode_part(body: bytes, encoding: bytes) -> bytes:
    """A MIME part's content from its Content-Transfer-Encoding (base64, quoted-printable, else as is)."""
    try:
        if encoding == b"base64":
            return base64.b64decode(b"".join(body.split()), validate=False)
        if encoding == b"quoted-printable":
            return quopri.decodestring(body)
    except (binascii.Error, ValueError):
        return b""
    return body


# ---- sources -------------------------------------------------------------------------------


def read_eml(path: Path, where: str | None = None, arrived: datetime | None = None) -> Message | Unreadable:
    """One message file (.eml, or a Maildir file)."""
    label = where or str(path)
    try:
        with open(path, "rb") as handle:
            try:
                headers, calendars = _read_message(iter(handle))
            except _Cut as cut:  # a file of headers only: still a message
                if not cut.raw.strip():
                    return Unreadable(label, "the file is empty")
                headers, calendars = parse_headers(cut.raw), ()
    except OSError as exc:
        return Unreadable(label, exc.strerror or str(exc))
    return Message(headers, label, arrived, calendars)


def iter_maildir(path: Path) -> Iterator[Message | Unreadable]:
    """The messages of a Maildir folder (cur/ and new/), oldest file first. Files are only read:
    never moved, renamed or flagged."""
    entries = []
    for sub in ("cur", "new"):
        folder = path / sub
        try:
            with os.scandir(folder) as listing:
                for entry in listing:
                    if entry.is_file() and not entry.name.startswith("."):
                        entries.append((entry.stat().st_mtime, entry.name, Path(entry.path)))
        except FileNotFoundError:
            continue
    for mtime, name, file in sorted(entries):
        yield read_eml(file, f"{path}/{file.parent.name}/{name}", datetime.fromtimestamp(mtime, timezone.utc))


def count_maildir(path: Path) -> int:
    return sum(len(os.listdir(path / sub)) for sub in ("cur", "new") if (path / sub).is_dir())


def is_maildir(path: Path) -> bool:
    return path.is_dir() and (path / "cur").is_dir() and (path / "new").is_dir()


def is_mbox(path: Path) -> bool:
    """An mbox starts with a "From " line (an empty file counts: nothing in it yet)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(5)
    except OSError:
        return False
    return head in (b"", b"From ")


@dataclass(frozen=True)
class MboxEntry:
    """A message of an mbox with where it ends, so a later run can start after it."""

    item: Message | Unreadable
    start: int  # byte offset of its "From " line
    end: int  # byte offset just after this message


def iter_mbox(handle: BinaryIO, start: int = 0, label: str = "mbox") -> Iterator[MboxEntry]:
    """Stream the messages of an mbox from byte offset `start` (which must be a "From " line).

    A new message starts at a "From " line that follows a blank line (or the start): a body line
    that begins with "From " unescaped is part of its message. A file cut off inside a message's
    headers yields that message as Unreadable; everything before it is read.
    """
    handle.seek(start)
    reader = _Lines(handle)
    line = reader.next_line()
    while line is not None:
        if not line.startswith(b"From "):  # not at a separator: skip to the next one
            line = reader.skip_to_separator()
            continue
        offset = reader.position - len(line)
        where = f"{label} at byte {offset}"
        body = reader.message_lines()
        try:
            headers, calendars = _read_message(body)
            # The From_ line's time is the fallback for a missing Date: parsed only then (strptime is slow).
            arrived = _from_line_date(line) if headers.date is None else None
            item: Message | Unreadable = Message(headers, where, arrived, calendars)
        except _Cut as cut:
            if reader.pending is not None and cut.raw.strip():  # a message with no body
                headers = parse_headers(cut.raw)
                item = Message(headers, where, _from_line_date(line) if headers.date is None else None)
            else:
                item = Unreadable(where, "the file ends inside its headers (truncated mbox?)")
        reader.drain()  # whatever the parser left unread
        line = reader.pending
        reader.pending = None
        yield MboxEntry(item, offset, reader.position - (len(line) if line is not None else 0))
        if line is None:
            line = reader.next_line()


class _Lines:
    """Lines of a binary file with the position after each, and mbox message framing."""

    def __init__(self, handle: BinaryIO):
        self.handle = handle
        self.position = handle.tell()
        self.pending: bytes | None = None  # the "From " line that ended the last message
        self.blank: bytes | None = None

    def next_line(self) -> bytes | None:
        line = self.handle.readline()
        if not line:
            return None
        self.position += len(line)
        return line

    def skip_to_separator(self) -> bytes | None:
        previous_blank = False
        while True:
            line = self.next_line()
            if line is None or (line.startswith(b"From ") and previous_blank):
                return line
            previous_blank = line in (b"\n", b"\r\n")

    def message_lines(self) -> Iterator[bytes]:
        """The lines of the current message, unescaped (">From " -> "From "); stops before the
        next separator, which it leaves in `pending`. A blank line right before the separator
        belongs to the framing (held in `blank` until the next line says which it is)."""
        self.blank = None
        while True:
            line = self.next_line()
            if line is None:
                return
            is_blank = line == b"\n" or line == b"\r\n"
            if self.blank is not None:
                if line.startswith(b"From "):
                    self.pending, self.blank = line, None
                    return
                # `blank` is always up to date before a yield: drain() may take over from here.
                held, self.blank = self.blank, (line if is_blank else None)
                yield held
                if is_blank:
                    continue
            elif is_blank:
                self.blank = line
                continue
            if line.startswith(b">") and line.lstrip(b">").startswith(b"From "):
                line = line[1:]
            yield line

    def drain(self) -> None:
        """Skip what is left of the current message, in a tight loop (a large attachment is
        thousands of lines nobody reads): the same framing as message_lines."""
        if self.pending is not None:
            return
        blank = self.blank is not None
        readline = self.handle.readline
        while True:
            line = readline()
            if not line:
                return
            self.position += len(line)
            if blank and line.startswith(b"From "):
                self.pending = line
                return
            blank = line == b"\n" or line == b"\r\n"

def _from_line_date(line: bytes) -> datetime | None:
    """'From sender@x Thu Mar  5 18:10:00 2026' -> that moment (read as UTC), else None."""
    parts = line.decode("ascii", "replace").split()
    if len(parts) >= 7:
        try:
            return datetime.strptime(" ".join(parts[-5:]), "%a %b %d %H:%M:%S %Y").replace(tzinfo=timezone.utc)
        except ValueError:
            return None
    return None
