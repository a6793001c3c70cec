"""Writing crm's fields into someone else's vCard without disturbing the rest of it.

A card that came from a server (a phone, a web client) carries properties crm does not map:
photos, addresses, X- fields of the phone's own, grouped labels, anniversaries. When crm
changes a card it keeps that card's text, removes only the lines of the properties crm owns,
and writes its own values for them; every other line goes back byte for byte (folding and
line ends aside). Pure text in, text out.
"""
from __future__ import annotations

import re
from dataclasses import replace

from crm.formats.card import Card
from crm.formats.vcard.props import HANDLERS
from crm.formats.vcard.write import write_card

# Properties whose whole content crm maps to `Card` fields (and so rewrites). Photos, logos,
# keys and sounds have handlers only to repair them: they stay the other client's.
OWNED = frozenset(HANDLERS) - {"PHOTO", "LOGO", "KEY", "SOUND", "X-ABLABEL"}
_HEAD = re.compile(r"(?:([A-Za-z0-9-]+)\.)?([A-Za-z0-9-]+)")


def logical_lines(text: str) -> list[str]:
    """The content lines of a vCard, each with its folds kept (so it can be written back as it was)."""
    lines: list[str] = []
    for physical in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if physical[:1] in (" ", "\t") and lines:
            lines[-1] += "\r\n" + physical
        elif physical:
            lines.append(physical)
    return lines


def _head(line: str) -> tuple[str, str]:
    """(group, NAME) of a content line: 'item1.EMAIL;TYPE=work:x' -> ('item1', 'EMAIL')."""
    match = _HEAD.match(line)
    if match is None:
        return "", ""
    return (match.group(1) or "").lower(), match.group(2).upper()


def patch_card(original: str, card: Card) -> str:
    """`original` with crm's fields replaced by `card`'s. The original's UID line is kept (the
    card's identity on the server is not crm's to change); its version is kept (2.1 becomes 3.0)."""
    lines = logical_lines(original)
    try:
        begin = next(i for i, line in enumerate(lines) if _head(line)[1] == "BEGIN")
        end = next(i for i in range(begin + 1, len(lines)) if _head(lines[i])[1] == "END")
    except StopIteration:
        return write_card(card)
    body = lines[begin + 1:end]
    version = "3.0"
    for line in body:
        if _head(line)[1] == "VERSION":
            version = "4.0" if line.split(":", 1)[-1].strip() == "4.0" else "3.0"
    has_uid = any(_head(line)[1] == "UID" for line in body)
    owned_groups = {group for group, name in map(_head, body) if group and name in OWNED}
    kept = []
    for line in body:
        group, name = _head(line)
        if name == "VERSION" or (name in OWNED and name != "UID"):
            continue
        if name == "X-ABLABEL" and group in owned_groups:
            continue  # the label of an email/phone crm rewrites (with its own group and label)
        kept.append(line)
    unfolded = [line.replace("\r\n ", "").replace("\r\n\t", "") for line in kept]
    # The kept lines go in as `extra` only so the writer numbers its itemN groups around
    # theirs; the writer's copies of them (its last lines) are dropped for the originals.
    written = logical_lines(write_card(replace(card, uid="" if has_uid else card.uid, extra=unfolded), version))
    own = [line for line in written[1:len(written) - 1 - len(unfolded)]
           if _head(line)[1] not in ("VERSION", "PRODID")]
    out = ["BEGIN:VCARD", f"VERSION:{version}", *kept, *own, "END:VCARD"]
    return "".join(line + "\r\n" for line in out)


def is_group_card(card: Card) -> bool:
    """An Apple/RFC 6350 group (a list of members), not a person: sync leaves it alone."""
    for line in card.extra:
        group, name = _head(line)
        if name in ("KIND", "X-ADDRESSBOOKSERVER-KIND") and line.split(":", 1)[-1].strip().lower() == "group":
            return True
    return False
