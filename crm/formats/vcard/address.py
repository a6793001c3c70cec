"""Postal addresses from vCard ADR lines, as the lines you would write on an envelope.

The store keeps ADR verbatim among a contact's extra properties (docs/vcard.md), so export
loses nothing; this reads those lines back. Pure: text in, lines out.
"""
from __future__ import annotations

from typing import Iterable

from crm.formats.vcard import text as vt


def postal_address(lines: Iterable[str]) -> tuple[str, ...]:
    """The envelope lines of the best ADR among vCard content lines: the one marked `pref`
    (TYPE=pref or PREF=1), else `work`, else the first. () when there is none with content.

    ADR's seven parts are PO box; extended address; street; locality; region; postal code;
    country. The street (and the others) may hold several lines (`\\n`) or comma lists.
    """
    best: tuple[int, tuple[str, ...]] | None = None
    for order, line in enumerate(lines):
        colon = vt.find_value_colon(line)
        if colon < 0:
            continue
        head, value = line[:colon], line[colon + 1:]
        name, _, params_text = head.partition(";")
        if name.rsplit(".", 1)[-1].strip().upper() != "ADR":
            continue
        params, _rebuild = vt.parse_params(params_text) if params_text else ((), False)
        envelope = _envelope(value)
        if not envelope:
            continue
        types = vt.param_types(params)
        score = 0 if "pref" in types else 1 if "work" in types else 2
        if best is None or (score, order) < best[0]:
            best = ((score, order), envelope)
    return best[1] if best is not None else ()


def _envelope(value: str) -> tuple[str, ...]:
    parts = [_lines(part) for part in vt.split_unescaped(value, ";")]
    parts += [[] for _ in range(7 - len(parts))]
    po_box, extended, street, locality, region, postal_code, country = parts[:7]
    place = " ".join(locality)
    if region:
        place = f"{place}, {' '.join(region)}" if place else " ".join(region)
    if postal_code:
        place = f"{place} {' '.join(postal_code)}".strip()
    envelope = [*street, *extended, *(f"PO Box {box}" for box in po_box), place, *country]
    return tuple(line for line in envelope if line)


def _lines(part: str) -> list[str]:
    """One ADR component: comma lists and escaped newlines become separate lines."""
    lines: list[str] = []
    for item in vt.split_unescaped(part, ","):
        lines += [" ".join(piece.split()) for piece in vt.unescape(item).split("\n")]
    return [line for line in lines if line]
