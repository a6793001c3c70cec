"""Turning records into text for the terminal, and JSON for scripts.

Anything that came from data (names, notes, file contents) passes through `clean` before it
reaches a terminal, so an imported card cannot move the cursor, retitle the window or hide
text with ANSI escape sequences. JSON output needs no such care: `json.dumps` escapes every
control character.
"""
from __future__ import annotations

import json
import re
import unicodedata
from typing import Any, Iterable, Iterator, Sequence

# C0 and C1 control characters, DEL, and the Unicode bidi overrides that can reorder text.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clean(value: Any, *, keep_newlines: bool = False) -> str:
    """Make data safe to print: control characters become visible escapes like `\\x1b`."""
    text = "" if value is None else str(value)
    if keep_newlines:
        return "\n".join(_UNSAFE.sub(_escape, line) for line in text.split("\n"))
    return _UNSAFE.sub(_escape, text)


def width(text: str) -> int:
    """Columns a string takes in a terminal (wide East Asian characters count twice)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, columns: int) -> str:
    return text + " " * max(0, columns - width(text))


def table_lines(headers: Sequence[str], rows: Iterable[Sequence[Any]], sample: int | None = 1000) -> Iterator[str]:
    """`table`, a line at a time, so a pager shows the first screen at once: the columns are
    sized by the first `sample` rows (all of them in a shorter table, or with sample=None, which
    is then exactly `table`); a longer cell further down pushes the rest of its own row right."""
    rows = iter(rows)
    head = []
    for row in rows:
        head.append([clean(c) for c in row])
        if sample is not None and len(head) >= sample:
            break
    if not head:
        return
    widths = [width(h) for h in headers]
    for row in head:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], width(cell))
    yield "  ".join(pad(h, widths[i]) for i, h in enumerate(headers)).rstrip()
    yield "  ".join("-" * w for w in widths)
    for row in head:
        yield "  ".join(pad(cell, widths[i]) for i, cell in enumerate(row)).rstrip()
    for row in rows:
        yield "  ".join(pad(clean(cell), widths[i]) for i, cell in enumerate(row)).rstrip()


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A plain aligned table; every cell is cleaned. Returns '' for no rows."""
    cells = [[clean(c) for c in row] for row in rows]
    if not cells:
        return ""
    widths = [width(h) for h in headers]
    for row in cells:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], width(cell))
    lines = ["  ".join(pad(h, widths[i]) for i, h in enumerate(headers)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for row in cells:
        lines.append("  ".join(pad(cell, widths[i]) for i, cell in enumerate(row)).rstrip())
    return "\n".join(lines)


_JSON_UNSAFE = re.compile(r"[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def to_json(data: Any) -> str:
    """Stable JSON: two-space indent, keys in the documented order, readable UTF-8: the text of
    `json.dumps(data, indent=2, ensure_ascii=False, default=str)` (built by `_encode`).

    json.dumps escapes C0 controls itself; DEL, C1 controls (a lone 0x9b is a CSI on some
    terminals), line separators and bidi overrides are escaped here as \\uXXXX too.
    """
    return _JSON_UNSAFE.sub(_json_escape, _encode(data, "\n"))


def json_chunks(items: Iterable[Any]) -> Iterator[str]:
    """`to_json(list(items))`, a piece at a time: a listing of 100k records is written as it is
    read, never held whole. The text is byte-identical to `to_json` (a test holds them equal)."""

    def texts() -> Iterator[str]:
        keys: tuple = ()
        template = ""
        for item in items:
            if item.__class__ is dict and item:
                if tuple(item) != keys:  # a listing's records share their keys: one template for all
                    keys = tuple(item)
                    template = _record_template(keys, "\n  ") if all(key.__class__ is str for key in keys) else ""
                yield template % tuple(map(_record_value, item.values())) if template else json_record(item)
            else:
                yield json_record(item)

    return json_records(texts())


def json_record(item: Any) -> str:
    """A record's text inside a listing (before the escapes to_json adds): what json_records
    joins."""
    return _encode(item, "\n  ")


def json_records(texts: Iterable[str]) -> Iterator[str]:
    """`json_chunks` of records already encoded (each `json_record(item)`), a piece at a time."""
    first = True
    pending: list[str] = []
    for text in texts:
        pending.append(("[\n  " if first else ",\n  ") + text)
        first = False
        if len(pending) >= 256:  # escaped a block at a time: one regex pass, not one per record
            yield _JSON_UNSAFE.sub(_json_escape, "".join(pending))
            pending = []
    if pending:
        yield _JSON_UNSAFE.sub(_json_escape, "".join(pending))
    yield "[]" if first else "\n]"


# A record of a listing, one level in: its members' indent, and its lists' items' indent.
_MEMBER = "\n    "
_ITEM = "\n      "


def _record_template(keys: tuple[str, ...], newline: str) -> str:
    """`_encode` of a record with these keys at the nesting `newline`, a %s for each value: the
    keys' text and the indents are made once per listing, not once per record (half the time
    of a 100k-contact `crm list --json`)."""
    inner = newline + "  "
    return "{" + inner + ("," + inner).join(
        _encode_string(key).replace("%", "%%") + ": %s" for key in keys) + newline + "}"


def _record_value(value: Any) -> str:
    """`_encode(value, _MEMBER)`: the common members of a record (strings, ids, nulls, lists of
    strings) without `_encode`'s chain of isinstance tests."""
    kind = value.__class__
    if kind is str:
        return _encode_string(value)
    if value is None:
        return "null"
    if kind is int:
        return int.__repr__(value)
    if kind is list and value and all(item.__class__ is str for item in value):
        return "[" + _ITEM + ("," + _ITEM).join(map(_encode_string, value)) + _MEMBER + "]"
    return _encode(value, _MEMBER)


def _json_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


_encode_string = json.encoder.encode_basestring  # the C one when available (json.dumps uses it too)


def _encode(value: Any, newline: str) -> str:
    """`json.dumps(value, indent=2, ensure_ascii=False, default=str)` at the nesting `newline`.
    json's own indenting encoder is pure Python and slow for a 100k-record listing or review;
    this builds the same text around the C string encoder (tests hold the two byte-identical)."""
    if isinstance(value, str):
        return _encode_string(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return int.__repr__(value)
    inner = newline + "  "
    if isinstance(value, dict):
        if not value:
            return "{}"
        if not all(isinstance(key, str) for key in value):
            return json.dumps(value, indent=2, ensure_ascii=False, default=str).replace("\n", newline)
        return "{" + inner + ("," + inner).join(
            _encode_string(key) + ": " + (_encode_string(v) if isinstance(v, str) else _encode(v, inner))
            for key, v in value.items()
        ) + newline + "}"
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        first = value[0].__class__
        if first is int and all(v.__class__ is int for v in value):  # ids
            return "[" + inner + ("," + inner).join(map(int.__repr__, value)) + newline + "]"
        records = _encode_records(value, inner) if first is dict else None
        if records is not None:
            return "[" + inner + records + newline + "]"
        return "[" + inner + ("," + inner).join(
            _encode_string(v) if isinstance(v, str) else _encode(v, inner) for v in value
        ) + newline + "]"
    if isinstance(value, float):
        return json.dumps(value)
    return _encode_string(str(value))  # default=str, as to_json


def _encode_records(items: list | tuple, newline: str) -> str | None:
    """The members of a list of records that share their keys (strings), encoded at the nesting
    `newline` and joined; None when they do not share them. A column at a time (a review lists
    20k contacts): each column's values through the encoder of their one type when they have
    one, then each record through one template made for all."""
    keys = tuple(items[0])
    if not keys or not all(key.__class__ is str for key in keys):
        return None
    if set(map(type, items)) != {dict} or not all(map(keys.__eq__, map(tuple, items))):
        return None
    inner = newline + "  "
    template = _record_template(keys, newline)
    columns = []
    for key in keys:
        values = [item[key] for item in items]
        kinds = set(map(type, values))
        if kinds == {str}:
            columns.append(map(_encode_string, values))
        elif kinds == {int}:
            columns.append(map(int.__repr__, values))
        else:
            columns.append([_encode(value, inner) for value in values])
    return ("," + newline).join(map(template.__mod__, zip(*columns)))
