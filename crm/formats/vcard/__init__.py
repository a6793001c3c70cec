"""vCard in and out: bytes to `Card` values and `Card` values to vCard text.

The public face of the format layer; it knows nothing of the database. The work is done in
`vcard_text` (bytes, charsets, escapes, folding), `vcard_read` and `vcard_write`.
See docs/vcard.md for the property mapping and the repairs the reader makes.

    for result in read_cards(path.read_bytes()):
        if result.card is None:
            print(f"card {result.index} (line {result.line}): {result.error}")
"""
from __future__ import annotations

from crm.formats.vcard.props import NO_NAME
from crm.formats.vcard.read import CardResult, Segment, card_segments, count_hint, read_cards
from crm.formats.vcard.write import PRODID, write_card, write_cards

__all__ = [
    "CardResult", "NO_NAME", "PRODID", "Segment", "card_segments", "count_hint", "read_cards", "social_network",
    "write_card", "write_cards",
]


def social_network(service: str) -> str:
    """The network named by a `Typed.service`: "impp:skype" -> "skype", "x-aim" -> "aim",
    "twitter" -> "twitter". The prefix only records which vCard property it came from."""
    if service.startswith("impp:"):
        return service[5:]
    if service.startswith("x-"):
        return service[2:]
    return service
