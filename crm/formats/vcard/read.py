"""vCard reader: bytes in, one `CardResult` per card out, tolerant of what real clients write.

A file of valid UTF-8 (nearly all) is cut into cards in its bytes and decoded a card at a
time; any other is decoded whole first (see `vcard_text.decode_file`: BOMs, UTF-16, legacy
charsets) and cut in its text, by the same rules. Each card is parsed line by line: folds, quoted-printable soft breaks and bare
base64 blocks are joined, each property is decoded (QP, CHARSET, stray bytes) and mapped onto
`Card` fields, and everything unmapped is kept as one clean content line in `Card.extra`.
A card that cannot be read becomes a `CardResult` with an error; the others still come out.
See docs/vcard.md for the mapping and the list of repairs.
"""
from __future__ import annotations

import dataclasses
import re
from typing import Callable, Iterator

from crm.formats.vcard import text as vt
from crm.formats.card import Card, Typed
from crm.errors import FormatError
from crm.formats.vcard.props import DROPPED, HANDLERS, CardBuilder
from crm.values import value


@value
class CardResult:
    """One card of a file as read: the card, or why there is none, and what was repaired."""

    index: int  # 1-based card number within the file
    line: int  # 1-based line number where the card starts (its BEGIN line)
    card: Card | None  # None when the card is broken beyond repair
    error: str | None  # one plain sentence saying what was wrong, when card is None
    warnings: tuple[str, ...] = ()  # repairs made, e.g. "line 12: undeclared charset, ..."


_BOUNDARY = re.compile(r"^(BEGIN|END)[ \t]*:[ \t]*VCARD[ \t]*$", re.I | re.M)
# The same lines in UTF-8 bytes: what _BOUNDARY matches in the decoded text, no more, no less
# (in a str, re.I also lets "I" be U+0130 or U+0131; in bytes it folds ASCII only).
_BOUNDARY_BYTES = re.compile(rb"^(BEG(?:I|\xc4[\xb0\xb1])N|END)[ \t]*:[ \t]*VCARD[ \t]*$", re.I | re.M)
# Both after a line end, led by the LF: the regex engine finds those by scanning for the one
# character, where a leading ^ is tried at every position of the file (two and a half times
# slower on a big book).
_BOUNDARY_AFTER_LF = re.compile(r"\n(BEGIN|END)[ \t]*:[ \t]*VCARD[ \t]*$", re.I | re.M)
_BOUNDARY_AFTER_LF_BYTES = re.compile(rb"\n(BEG(?:I|\xc4[\xb0\xb1])N|END)[ \t]*:[ \t]*VCARD[ \t]*$", re.I | re.M)
_AGENT_OPEN = re.compile(r"(?:[A-Za-z0-9-]+\.)?AGENT\b[^:]*:\s*\Z", re.I)
_PROPERTY_HINT = re.compile(
    r"^(?:[A-Za-z0-9-]+\.)?(?:FN|N|EMAIL|TEL|ORG|NICKNAME)[;:]", re.I | re.M
)
# A line that starts a new property: stops a quoted-printable soft break from eating it.
_PROPERTY_START = re.compile(
    r"(?:[A-Za-z0-9-]+\.)?(?:BEGIN|END|VERSION|FN|N|NICKNAME|PHOTO|BDAY|ADR|LABEL|TEL|EMAIL"
    r"|MAILER|TZ|GEO|TITLE|ROLE|LOGO|AGENT|ORG|CATEGORIES|NOTE|PRODID|REV|SORT-STRING|SOUND"
    r"|UID|URL|CLASS|KEY|IMPP|X-[A-Za-z0-9-]+)[;:]",
    re.I,
)
_NAME = re.compile(r"[A-Za-z0-9-]+\Z")
_B64_LINE = re.compile(r"[ \t]*[A-Za-z0-9+/=]+[ \t]*\Z")


def read_cards(data: bytes) -> Iterator[CardResult]:
    """Read every card in `data`. Raises FormatError at once (before the first card) when
    the bytes are not vCard at all; after that, problems become per-card errors/warnings."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError("read_cards() needs bytes")
    data = bytes(data)
    if not data.strip():
        raise FormatError("The file is empty.")
    cards = card_segments(data)
    if cards is not None:
        return (card.read() for card in cards)
    decoded = vt.decode_file(data)
    text = decoded.text
    if _BOUNDARY.search(text) is None and _PROPERTY_HINT.search(text) is None:
        if _looks_binary(text):
            raise FormatError("The file is binary data, not a vCard (.vcf) text file.")
        raise FormatError("No vCard data found: the file has no BEGIN:VCARD line.")
    if "\x00" in text:
        decoded.text = text = text.replace("\x00", "")
        decoded.notes.append("NUL bytes removed")
    return _read(text, decoded)


@value
class Segment:
    """One card's place in a file, read (`read`) only when asked."""

    index: int  # 1-based card number within the file
    line: int  # line of its BEGIN
    body_line: int  # line of its first body line
    body: str | bytes  # its lines (bytes of a `plain_utf8` file)
    notes: tuple[str, ...]  # what was repaired to find it (a missing END...), the file's own first
    decoded: vt.DecodedFile

    def read(self) -> CardResult:
        warnings = list(self.notes)
        text = _as_text(self.body)(self.body)
        # Most cards fold no line, have no quoted-printable soft break and quote no parameter:
        # their lines are then read without looking for those.
        joined = "\n " in text or "\n\t" in text or "=\n" in text or text[:1] in (" ", "\t")
        try:
            card = _parse_card(text.split("\n"), self.body_line, self.decoded, warnings, joined, '"' in text)
        except _Broken as broken:
            return CardResult(self.index, self.line, None, broken.message, tuple(warnings))
        except Exception as exc:  # noqa: BLE001 - one bad card must not stop the import
            message = f"The card could not be read (internal error: {type(exc).__name__}: {exc})."
            return CardResult(self.index, self.line, None, message, tuple(warnings))
        if self.decoded.dirty:
            card = _scrub(card, warnings)
        return CardResult(self.index, self.line, card, None, tuple(warnings))


def card_segments(data: bytes) -> Iterator[Segment] | None:
    """The cards of a file of plain UTF-8 (`vcard_text.plain_utf8`) with a BEGIN:VCARD line,
    each read when asked: `read_cards` is `(s.read() for s in card_segments(data))` for such
    a file. None for any other file (`read_cards` reads it whole)."""
    plain = vt.plain_utf8(bytes(data))
    if plain is None or _BOUNDARY_BYTES.search(plain) is None:
        return None
    return _cards(plain, vt.clean_file())


def count_hint(data: bytes) -> int:
    """Cheap estimate of the number of cards (BEGIN:VCARD lines), for a progress bar."""
    data = bytes(data)
    marker = "BEGIN:VCARD"
    if data.startswith(b"\xff\xfe") or data[1:2] == b"\x00":
        return data.upper().count(marker.encode("utf-16-le"))
    if data.startswith(b"\xfe\xff") or data[:1] == b"\x00":
        return data.upper().count(marker.encode("utf-16-be"))
    return data.upper().count(marker.encode())


def _looks_binary(text: str) -> bool:
    sample = text[:4096]
    odd = sum(1 for char in sample if (char < " " and char not in "\n\t") or "\udc80" <= char <= "\udcff")
    return odd > len(sample) // 20


def _read(source: str | bytes, decoded: vt.DecodedFile) -> Iterator[CardResult]:
    """The cards of `source`: the decoded text, or the bytes of a `plain_utf8` file."""
    return (card.read() for card in _cards(source, decoded))


def _cards(source: str | bytes, decoded: vt.DecodedFile) -> Iterator[Segment]:
    index = 0
    for begin_line, body_line, start, end, notes in _segments(source):
        index += 1
        if index == 1 and decoded.notes:
            notes = list(decoded.notes) + notes
        yield Segment(index, begin_line, body_line, source[start:end], tuple(notes), decoded)


_RAW_BYTE = re.compile("[\udc80-\udcff]")


def _clean_text(text: str) -> str:
    if not _RAW_BYTE.search(text):
        return text
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _scrub(card: Card, warnings: list[str]) -> Card:
    """Bytes no charset explained survive decoding as lone surrogates; whatever property they
    sit in (a photo URL, an unknown X- line), they become U+FFFD rather than sink the card."""
    changed = False

    def clean(value):
        nonlocal changed
        if isinstance(value, str):
            fixed = _clean_text(value)
        elif isinstance(value, list):
            fixed = [clean(item) for item in value]
        elif isinstance(value, Typed):
            fixed = Typed(clean(value.value), clean(value.kind), clean(value.label), clean(value.service))
        else:
            return value
        changed = changed or fixed != value
        return fixed

    fields = {f.name: clean(getattr(card, f.name)) for f in dataclasses.fields(card)}
    if not changed:
        return card
    warnings.append("bytes in no known character set replaced by \ufffd")
    return Card(**fields)


def _as_text(source: str | bytes):
    return _utf8 if isinstance(source, bytes) else _same


def _utf8(data: bytes) -> str:
    return data.decode("utf-8")


def _same(text: str) -> str:
    return text


def _segments(text: str | bytes) -> Iterator[tuple[int, int, int, int, list[str]]]:
    """Yield (line of BEGIN, line of the first body line, body start, body end, notes) for
    each card, in order. `text` is the decoded text, or the bytes of a `plain_utf8` file: the
    same cards at the same offsets of each (their lines end in one LF byte, a cut between
    two lines is never inside a character, and the regexes read the decoded text).

    A BEGIN inside a card starts a new card (the previous one lost its END) unless the line
    before it opens a 2.1 AGENT, in which case it is a nested card and stays in the body.
    Text outside any BEGIN/END pair that holds vCard properties is a card missing its BEGIN.
    """
    as_text = _as_text(text)
    if as_text is _utf8:
        newline, blanks, boundaries = b"\n", b"\n \t", _boundaries(text, _BOUNDARY_BYTES, _BOUNDARY_AFTER_LF_BYTES)
    else:
        newline, blanks, boundaries = "\n", "\n \t", _boundaries(text, _BOUNDARY, _BOUNDARY_AFTER_LF)
    counted_pos = 0
    counted_line = 1

    def line_at(pos: int) -> int:
        nonlocal counted_pos, counted_line
        counted_line += text.count(newline, counted_pos, pos)
        counted_pos = pos
        return counted_line

    def orphan(start: int, end: int, note: str):
        # `start` is 0 or just after a line end, where _PROPERTY_HINT's ^ matches in the slice too.
        if start < end and _PROPERTY_HINT.search(as_text(text[start:end])):
            first = start
            while first < end and text[first:first + 1] in blanks:
                first += 1
            line = line_at(first)
            return (line, line, first, end, [note])
        return None

    depth = 0
    gap_start = 0
    begin_line = 0
    body_start = 0
    for start, end, word in boundaries:
        if as_text(word).upper() == "BEGIN":
            if depth == 0:
                found = orphan(gap_start, start, "missing BEGIN:VCARD and END:VCARD")
                if found:
                    yield found
                depth = 1
                begin_line = line_at(start)
                body_start = end + 1
                continue
            line_end = start - 1
            prev = as_text(text[text.rfind(newline, body_start, line_end) + 1:line_end]) if line_end > body_start else ""
            if _AGENT_OPEN.match(prev.strip()):
                depth += 1
                continue
            yield (begin_line, begin_line + 1, body_start, start,
                   ["missing END:VCARD, card ends at the next BEGIN"])
            begin_line = line_at(start)
            body_start = end + 1
            depth = 1
        elif depth == 0:
            found = orphan(gap_start, start, "missing BEGIN:VCARD")
            if found:
                yield found
            gap_start = end + 1
        elif depth == 1:
            yield (begin_line, begin_line + 1, body_start, start, [])
            depth = 0
            gap_start = end + 1
        else:
            depth -= 1
    if depth:
        yield (begin_line, begin_line + 1, body_start, len(text),
               ["missing END:VCARD, card ends at the end of the file"])
    else:
        found = orphan(gap_start, len(text), "missing BEGIN:VCARD and END:VCARD")
        if found:
            yield found


def _boundaries(text: str | bytes, at_start: re.Pattern, after_lf: re.Pattern) -> Iterator[tuple[int, int, str | bytes]]:
    """(start, end, "BEGIN" or "END" as written) of each BEGIN:VCARD and END:VCARD line: what
    `at_start` (a ^ pattern) finds, the first line by it and the others by `after_lf`."""
    first = at_start.match(text)
    if first is not None:
        yield first.start(), first.end(), first.group(1)
    for match in after_lf.finditer(text):
        yield match.start() + 1, match.end(), match.group(1)


class _Broken(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _is_qp(text: str) -> bool:
    colon = vt.find_value_colon(text)
    head = text if colon < 0 else text[:colon]
    return "QUOTED-PRINTABLE" in head.upper()


def _join(lines: list[str], i: int, line: str) -> tuple[str, int]:
    """Join folded continuation lines and quoted-printable soft line breaks (`=` at the end
    of a line, continued on the next line with or without indentation)."""
    parts = [line]
    n = len(lines)
    qp = None
    while i < n:
        nxt = lines[i]
        last = parts[-1]
        if nxt and (nxt[0] == " " or nxt[0] == "\t"):
            if last.endswith("="):
                if qp is None:
                    qp = _is_qp("".join(parts))
                if qp:
                    parts[-1] = last[:-1]
            parts.append(nxt[1:])
            i += 1
            continue
        if last.endswith("="):
            if qp is None:
                qp = _is_qp("".join(parts))
            if qp and _PROPERTY_START.match(nxt) is None:
                parts[-1] = last[:-1]
                parts.append(nxt)
                i += 1
                continue
        break
    return "".join(parts), i


# A book repeats a few dozen property heads ("EMAIL;type=INTERNET;type=WORK", "FN"...): each is
# split into (group, NAME, params, rebuild, its handler or None, "ENCODING=b" (a 2.1 base64
# block may follow), an AGENT) once.
_HEADS: dict[str, tuple[str, str, vt.Params, bool, Callable | None, bool, bool]] = {}


def _read_head(head: str) -> tuple[str, str, vt.Params, bool, Callable | None, bool, bool]:
    group, name, params, rebuild = _parse_head(head)
    base64 = bool(params) and vt.param(params, "ENCODING").upper() in ("BASE64", "B")
    return group, name, params, rebuild, HANDLERS.get(name), base64, name == "AGENT"


def _parse_head(head: str) -> tuple[str, str, vt.Params, bool]:
    semi = head.find(";")
    if semi < 0:
        name = head
        params: vt.Params = ()
        rebuild = False
    else:
        name = head[:semi]
        params, rebuild = vt.parse_params(head[semi + 1:])
    dot = name.rfind(".")
    group = ""
    if dot >= 0:
        group = name[:dot]
        name = name[dot + 1:]
    return group, name.upper(), params, rebuild


def _parse_card(lines: list[str], first_lineno: int, decoded: vt.DecodedFile, warnings: list[str],
                joined: bool = True, quoted: bool = True) -> Card:
    """`joined`: False when no line continues on the next or is stripped (none starts with a
    space or tab, none ends in "=" before another); `quoted`: False when no line has a '"'."""
    builder = CardBuilder(decoded, warnings)
    n = len(lines)
    i = 0
    properties = 0
    junk = 0
    heads = _HEADS
    dirty = decoded.dirty
    while i < n:
        line = lines[i]
        i += 1
        if not line:
            continue
        first = line[0]
        if first == " " or first == "\t":
            line = line.strip()  # a continuation with nothing before it to continue
            if not line:
                continue
        elif first == "#":
            continue
        lineno = first_lineno + i - 1
        if joined and i < n and (lines[i][:1] in (" ", "\t") or line[-1] == "="):
            line, i = _join(lines, i, line)
        colon = line.find(":")
        if quoted and colon > 0 and line.find('"', 0, colon) >= 0:
            colon = vt.find_value_colon(line)
        if colon <= 0:
            junk += 1
            builder.warn(lineno, "not a vCard property, ignored")
            continue
        head = line[:colon]
        value = line[colon + 1:]
        if dirty and not head.isascii() and vt.has_raw_bytes(head):
            head = vt.bytes_to_text(head.encode("utf-8", "surrogateescape"), None, decoded.fallback,
                                    lambda msg: builder.warn(lineno, msg))
            line = head + ":" + value
        parsed = heads.get(head)
        if parsed is None:
            if len(heads) > 4096:
                heads.clear()
            parsed = heads[head] = _read_head(head)
        group, name, params, rebuild, handler, base64, agent = parsed
        if base64 and i < n:
            nxt = lines[i]
            if nxt and ":" not in nxt:
                # 2.1 base64 block: continuation lines need not be indented; a blank line ends it
                block = [value]
                while i < n and lines[i] and _B64_LINE.match(lines[i]):
                    block.append(lines[i].strip())
                    i += 1
                value = "".join(block)
        if agent and not value.strip() and i < n and lines[i][:6].upper() == "BEGIN:":
            nested, i = _nested_card(lines, i)
            builder.keep(group, name, params, True, "", "", lineno, (nested, True))
            properties += 1
            continue
        if handler is None:
            if name in DROPPED:
                continue
            if _NAME.match(name) is None or (group and _NAME.match(group) is None):
                junk += 1
                builder.warn(lineno, "not a vCard property, ignored")
                continue
            builder.keep(group, name, params, rebuild, value, line, lineno)
        else:
            handler(builder, group, name, params, rebuild, value, line, lineno)
        properties += 1
    if not properties:
        if junk:
            raise _Broken(f"None of the card's lines could be read as vCard properties ({junk} tried).")
        raise _Broken("The card is empty: it has no properties.")
    return builder.finish(first_lineno)


def _nested_card(lines: list[str], i: int) -> tuple[str, int]:
    nested: list[str] = []
    depth = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        upper = line.strip().upper()
        if upper.startswith("BEGIN:"):
            depth += 1
        elif upper.startswith("END:"):
            depth -= 1
        nested.append(line.rstrip())
        if depth <= 0:
            break
    return "\n".join(nested), i
