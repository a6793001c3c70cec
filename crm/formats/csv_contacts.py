"""Contacts as CSV: our own export, and LinkedIn / Google Contacts / Outlook exports read in.

Knows nothing of the database: Cards in, text out; bytes in, Cards out.

Spreadsheet programs run a cell that starts with = + - @ (or a tab or carriage return) as a
formula, so such cells are written with a leading apostrophe ("formula injection" defence).
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import date, datetime
from typing import Iterable, Iterator

from crm.formats.card import Birthday, Card, Typed
from crm.errors import FormatError

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


# ---- reading: LinkedIn, Google Contacts and Outlook exports --------------------------------


_LINKEDIN_HEADER = ("first name", "last name", "url", "email address", "company", "position", "connected on")


@dataclass(frozen=True)
class CsvResult:
    """One row as a card, with the same fields the vCard reader yields, plus LinkedIn's date."""

    index: int
    line: int
    card: Card | None
    error: str | None = None
    warnings: tuple[str, ...] = ()
    connected_on: date | None = None


@dataclass
class _Table:
    header: list[str]
    rows: list[tuple[int, list[str]]] = dc_field(default_factory=list)


def decode_text(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")  # Outlook on Windows writes the ANSI code page


def _read_table(text: str, header_test) -> _Table:
    """Find the header row (LinkedIn puts "Notes:" lines before it) and read the rows after it."""
    reader = csv.reader(io.StringIO(text, newline=""))
    table = None
    try:
        for row in reader:
            if table is None:
                if header_test([c.strip().lower() for c in row]):
                    table = _Table([c.strip() for c in row])
                continue
            if any(cell.strip() for cell in row):
                table.rows.append((reader.line_num, row))
    except csv.Error as exc:
        raise FormatError(f"broken CSV at line {reader.line_num}: {exc}") from None
    if table is None:
        raise FormatError("no recognisable header row (LinkedIn, Google Contacts or Outlook CSV)")
    return table


def detect_csv(data: bytes) -> str | None:
    head = decode_text(data[:65536]).lower()
    if all(name in head for name in ("first name,last name", "connected on")):
        return "linkedin"
    if "e-mail 1 - value" in head or ("given name" in head and "family name" in head):
        return "google"
    if "e-mail address" in head and ("business phone" in head or "job title" in head):
        return "outlook"
    return None


def read_csv_contacts(data: bytes, fmt: str) -> Iterator[CsvResult]:
    """Rows of a LinkedIn, Google Contacts or Outlook CSV export as cards."""
    text = decode_text(data)
    if fmt == "linkedin":
        table = _read_table(text, lambda cells: tuple(cells[:7]) == _LINKEDIN_HEADER or
                            ("first name" in cells and "connected on" in cells))
        convert = _linkedin
    elif fmt == "google":
        table = _read_table(text, lambda cells: "e-mail 1 - value" in cells or "given name" in cells
                            or ("first name" in cells and "labels" in cells))
        convert = _google
    elif fmt == "outlook":
        table = _read_table(text, lambda cells: "e-mail address" in cells and "first name" in cells)
        convert = _outlook
    else:
        raise FormatError(f"unknown CSV format {fmt!r}")
    names = [h.lower() for h in table.header]
    for index, (line, row) in enumerate(table.rows, start=1):
        record = {names[i]: cell.strip() for i, cell in enumerate(row) if i < len(names)}
        try:
            yield convert(index, line, record)
        except ValueError as exc:
            yield CsvResult(index, line, None, f"row {index}: {exc}")


def _name_card(given: str, family: str, **fields) -> Card:
    display = fields.pop("display_name", "") or " ".join(p for p in (given, family) if p)
    card = Card(given_name=given, family_name=family, **fields)
    if not display:
        fallback = [t.value for t in card.emails] + [card.org] + [t.value for t in card.phones]
        display = next((v for v in fallback if v), "")
    if not display:
        raise ValueError("no name, email, organisation or phone")
    card.display_name = display
    return card


def _linkedin(index: int, line: int, r: dict) -> CsvResult:
    url = r.get("url", "")
    card = _name_card(
        r.get("first name", ""), r.get("last name", ""),
        org=r.get("company", ""), title=r.get("position", ""),
        emails=[Typed(r["email address"])] if r.get("email address") else [],
        socials=[Typed(url, service="linkedin")] if url else [],
    )
    connected = None
    warnings = ()
    if r.get("connected on"):
        try:
            connected = datetime.strptime(r["connected on"], "%d %b %Y").date()
        except ValueError:
            warnings = (f"row {index}: unreadable Connected On date {r['connected on']!r}",)
    return CsvResult(index, line, card, warnings=warnings, connected_on=connected)


_MULTI = " ::: "


def _numbered(r: dict, prefix: str) -> list[Typed]:
    """Google's 'E-mail 1 - Label'/'- Type' + 'E-mail 1 - Value' columns (values may hold ' ::: ')."""
    found = []
    n = 1
    while f"{prefix} {n} - value" in r:
        label = r.get(f"{prefix} {n} - label", r.get(f"{prefix} {n} - type", ""))
        label = label.lstrip("* ").strip()
        for value in r[f"{prefix} {n} - value"].split(_MULTI):
            if value.strip():
                found.append(Typed(value.strip(), kind=label.lower() if label.lower() in
                                   ("home", "work", "mobile", "other", "main") else "", label=label if
                                   label.lower() not in ("home", "work", "mobile", "other", "main") else ""))
        n += 1
    return found


def _birthday(text: str) -> Birthday | None:
    text = text.strip()
    match = re.fullmatch(r"(\d{4}|-)-?(\d{1,2})-(\d{1,2})", text.replace("--", "-"))
    if match:
        year = None if match.group(1) == "-" else int(match.group(1))
        try:
            date(year or 2000, int(match.group(2)), int(match.group(3)))
        except ValueError:
            return None
        return Birthday(int(match.group(2)), int(match.group(3)), year)
    for fmt in ("%m/%d/%Y", "%d/%m/%Y"):
        try:
            parsed = datetime.strptime(text, fmt).date()
            return Birthday(parsed.month, parsed.day, parsed.year)
        except ValueError:
            pass
    return None


def _google(index: int, line: int, r: dict) -> CsvResult:
    given = r.get("first name", r.get("given name", ""))
    family = r.get("last name", r.get("family name", ""))
    labels = r.get("labels", r.get("group membership", ""))
    categories = [
        g.strip().lstrip("*").strip() for g in labels.split(_MULTI)
        if g.strip() and g.strip() not in ("* myContacts", "* starred") and not g.strip().startswith("* ")
    ]
    card = _name_card(
        given, family,
        display_name=r.get("name", ""),
        additional_names=r.get("middle name", r.get("additional name", "")),
        name_prefix=r.get("name prefix", ""), name_suffix=r.get("name suffix", ""),
        nickname=r.get("nickname", ""),
        org=r.get("organization name", r.get("organization 1 - name", "")),
        title=r.get("organization title", r.get("organization 1 - title", "")),
        department=r.get("organization department", r.get("organization 1 - department", "")),
        note=r.get("notes", ""),
        birthday=_birthday(r.get("birthday", "")),
        emails=_numbered(r, "e-mail"), phones=_numbered(r, "phone"), urls=_numbered(r, "website"),
        categories=categories,
    )
    return CsvResult(index, line, card)


_OUTLOOK_PHONES = (("mobile phone", "cell"), ("business phone", "work"), ("business phone 2", "work"),
                   ("home phone", "home"), ("home phone 2", "home"), ("primary phone", "pref"),
                   ("other phone", ""), ("company main phone", "work"))


def _outlook(index: int, line: int, r: dict) -> CsvResult:
    emails = [Typed(r[k]) for k in ("e-mail address", "e-mail 2 address", "e-mail 3 address") if r.get(k)]
    phones = [Typed(r[k], kind=kind) for k, kind in _OUTLOOK_PHONES if r.get(k)]
    card = _name_card(
        r.get("first name", ""), r.get("last name", ""),
        additional_names=r.get("middle name", ""),
        name_prefix=r.get("title", ""), name_suffix=r.get("suffix", ""), nickname=r.get("nickname", ""),
        org=r.get("company", ""), department=r.get("department", ""), title=r.get("job title", ""),
        note=r.get("notes", ""), birthday=_birthday(r.get("birthday", "")) if r.get("birthday") not in
        ("0/0/00", "") else None,
        emails=emails, phones=phones,
        urls=[Typed(r["web page"])] if r.get("web page") else [],
        categories=[c.strip() for c in r.get("categories", "").split(";") if c.strip()],
    )
    return CsvResult(index, line, card)
