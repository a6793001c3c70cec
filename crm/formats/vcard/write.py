"""vCard writer: `Card` values to vCard 3.0 or 4.0 text (CRLF, folded at 75 octets).

Everything written here reads back through `vcard_read` to an equal `Card`; the property
tests in tests/test_vcard_fuzz.py hold the two to that.
"""
from __future__ import annotations

import io
import re
from typing import IO, Iterable

from crm.formats.vcard import text as vt
from crm.formats.card import Card, Typed
from crm.formats.vcard.props import LEGACY_IM

PRODID = "-//crm//EN"
VERSIONS = ("3.0", "4.0")

# Apple's built-in labels are written in its `_$!<...>!$_` form so Contacts.app localises them.
_APPLE_BUILTIN = frozenset({
    "HomePage", "Other", "AssistantPhone", "Main", "Mobile", "HomeFAX", "WorkFAX", "OtherFAX",
    "Pager", "iPhone", "School", "Anniversary", "Spouse", "Child", "Mother", "Father",
    "Parent", "Brother", "Sister", "Friend", "Manager", "Assistant", "Partner",
})
_ITEM_GROUP = re.compile(r"item(\d+)\.", re.I)
_INLINE_BINARY = re.compile(
    r"((?:[A-Za-z0-9-]+\.)?(PHOTO|LOGO|KEY|SOUND));ENCODING=b(?:;TYPE=([^:;]*))?:(.*)\Z",
    re.I | re.S,
)
_KEY_MEDIA = {"X509": "application/x-x509-user-cert", "PGP": "application/pgp-keys"}


def write_card(card: Card, version: str = "3.0") -> str:
    """One card as vCard text: CRLF line ends, lines folded at 75 octets."""
    if version not in VERSIONS:
        raise ValueError(f"vCard version must be one of {', '.join(VERSIONS)}, not {version!r}")
    v4 = version == "4.0"
    esc = vt.escape_text
    lines = ["BEGIN:VCARD", f"VERSION:{version}", f"PRODID:{PRODID}", "FN:" + esc(card.display_name)]
    name = (card.family_name, card.given_name, card.additional_names, card.name_prefix,
            card.name_suffix)
    lines.append("N:" + ";".join(esc(part) for part in name))
    if card.nickname:
        lines.append("NICKNAME:" + esc(card.nickname))
    if card.org or card.department:
        lines.append("ORG:" + esc(card.org) + (";" + esc(card.department) if card.department else ""))
    if card.title:
        lines.append("TITLE:" + esc(card.title))
    if card.note:
        lines.append("NOTE:" + esc(card.note))
    if card.birthday is not None:
        lines.append("BDAY:" + _birthday(card.birthday, v4))
    if card.uid:
        lines.append("UID:" + esc(card.uid))
    groups = _GroupNumbers(card.extra)
    for typed in card.emails:
        _typed(lines, groups, "EMAIL", [], typed, esc(typed.value), v4)
    for typed in card.phones:
        _typed(lines, groups, "TEL", [], typed, vt.escape_uri(typed.value), v4)
    for typed in card.urls:
        _typed(lines, groups, "URL", [], typed, vt.escape_uri(typed.value), v4)
    for typed in card.socials:
        service = typed.service
        if service == "impp" or service.startswith("impp:"):
            network = service[5:]
            params = [("X-SERVICE-TYPE", network)] if network else []
            _typed(lines, groups, "IMPP", params, typed, vt.escape_uri(typed.value), v4)
        elif service.upper() in LEGACY_IM:
            _typed(lines, groups, service.upper(), [], typed, esc(typed.value), v4)
        else:
            params = [("TYPE", service)] if service else []
            _typed(lines, groups, "X-SOCIALPROFILE", params, typed, vt.escape_uri(typed.value), v4)
    if card.categories:
        lines.append("CATEGORIES:" + ",".join(esc(category) for category in card.categories))
    if card.role:
        lines.append("X-CRM-ROLE:" + esc(card.role))
    for line in card.extra:
        lines.append(_extra_v4(line) if v4 else line)
    lines.append("END:VCARD")
    return "".join(vt.fold(line) + "\r\n" for line in lines)


def write_cards(cards: Iterable[Card], out: IO[str] | IO[bytes], version: str = "3.0") -> int:
    """Write cards one after another to `out` and return how many were written.

    `out` may be a text stream (open it with newline="" so CRLF is kept as is) or a binary
    stream (UTF-8 is written). Cards are written as they come, so a generator streams.
    """
    binary = _is_binary(out)
    count = 0
    for card in cards:
        text = write_card(card, version)
        out.write(text.encode("utf-8") if binary else text)
        count += 1
    return count


def _is_binary(out) -> bool:
    if isinstance(out, io.TextIOBase):
        return False
    if isinstance(out, (io.BufferedIOBase, io.RawIOBase)):
        return True
    return "b" in getattr(out, "mode", "")


def _birthday(birthday, v4: bool) -> str:
    if birthday.year is None:
        # 4.0 (RFC 6350) writes --MMDD; 3.0's ISO 8601 form is --MM-DD (Google writes it too)
        return f"--{birthday.month:02d}{birthday.day:02d}" if v4 else f"--{birthday.month:02d}-{birthday.day:02d}"
    if v4:
        return f"{birthday.year:04d}{birthday.month:02d}{birthday.day:02d}"
    return f"{birthday.year:04d}-{birthday.month:02d}-{birthday.day:02d}"


class _GroupNumbers:
    """Hands out itemN group names that do not clash with groups kept in `extra`."""

    def __init__(self, extra: list[str]):
        used = [int(m.group(1)) for line in extra if (m := _ITEM_GROUP.match(line))]
        self.next = max(used, default=0) + 1

    def take(self) -> str:
        group = f"item{self.next}"
        self.next += 1
        return group


def _typed(lines, groups, name, params, typed: Typed, value: str, v4: bool) -> None:
    params = list(params)
    for kind in typed.kind.split(","):
        kind = kind.strip().lower()
        if not kind:
            continue
        if kind == "pref" and v4:
            params.append(("PREF", "1"))
        else:
            params.append(("TYPE", kind))
    head = name + vt.format_params(params)
    if typed.label:
        group = groups.take()
        label = f"_$!<{typed.label}>!$_" if typed.label in _APPLE_BUILTIN else typed.label
        lines.append(f"{group}.{head}:{value}")
        lines.append(f"{group}.X-ABLabel:{vt.escape_text(label)}")
    else:
        lines.append(f"{head}:{value}")


def _extra_v4(line: str) -> str:
    """Inline binary kept in 3.0 form (`PHOTO;ENCODING=b;TYPE=JPEG:...`) becomes a 4.0
    data: URI; every other kept line is valid in both versions and is written as is."""
    match = _INLINE_BINARY.match(line)
    if match is None:
        return line
    prefix, name, subtype, data = match.groups()
    subtype = (subtype or "").upper()
    name = name.upper()
    if name == "KEY":
        media = _KEY_MEDIA.get(subtype, "application/octet-stream")
    elif name == "SOUND":
        media = f"audio/{subtype.lower()}" if subtype else "application/octet-stream"
    else:
        media = f"image/{subtype.lower()}" if subtype else "application/octet-stream"
    return f"{prefix}:data:{media};base64,{data}"
