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
from typing import Any, Iterable, Sequence

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
    """Stable JSON: two-space indent, keys in the documented order, readable UTF-8.

    json.dumps escapes C0 controls itself; DEL, C1 controls (a lone 0x9b is a CSI on some
    terminals), line separators and bidi overrides are escaped here as \\uXXXX too.
    """
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
