"""Contacts as CSV. Knows nothing of the database: Cards in, text out.

Spreadsheet programs run a cell that starts with = + - @ (or a tab or carriage return) as a
formula, so such cells are written with a leading apostrophe ("formula injection" defence).
"""
from __future__ import annotations

import csv
import io
from typing import Iterable, Iterator

from crm.card import Card

CSV_COLUMNS = (
    "id", "name", "given_name", "family_name", "nickname", "org", "department", "title", "role",
    "emails", "phones", "urls", "interests", "birthday", "notes", "uid",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: str) -> str:
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


def card_row(contact_id: int, card: Card) -> list[str]:
    return [
        str(contact_id), card.display_name, card.given_name, card.family_name, card.nickname, card.org,
        card.department, card.title, card.role or "other",
        "; ".join(t.value for t in card.emails), "; ".join(t.value for t in card.phones),
        "; ".join(t.value for t in card.urls), "; ".join(card.categories),
        card.birthday.iso() if card.birthday else "", card.note, card.uid,
    ]


def write_csv(rows: Iterable[tuple[int, Card]]) -> Iterator[str]:
    """Yield the CSV text in chunks: a header row, then one row per contact."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for contact_id, card in rows:
        writer.writerow([neutralise(cell) for cell in card_row(contact_id, card)])
        if buffer.tell() > 1 << 16:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
