"""Parsing the dates people type. Pure: `today` is always passed in, never read here."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from crm.errors import InvalidInput

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def day_and_month(value: date, today: date, *, short: bool = False) -> str:
    """'5 March' ('5 Mar' when short), with the year when it is not `today`'s year."""
    month = MONTHS[value.month - 1]
    text = f"{value.day} {month[:3] if short else month}"
    return text if value.year == today.year else f"{text} {value.year}"


_RELATIVE = re.compile(r"^([+-])(\d{1,5})d$")
_HINT = "use YYYY-MM-DD, YYYY-MM-DDTHH:MM, today, yesterday, tomorrow, or -Nd/+Nd"


def parse_date(text: str, today: date) -> date:
    """'2026-11-03', 'today', 'yesterday', 'tomorrow', '-3d', '+10d' -> a date."""
    value = text.strip().lower()
    if value == "today":
        return today
    if value == "yesterday":
        return today - timedelta(days=1)
    if value == "tomorrow":
        return today + timedelta(days=1)
    rel = _RELATIVE.match(value)
    if rel:
        days = int(rel.group(2))
        try:
            return today + timedelta(days=days if rel.group(1) == "+" else -days)
        except OverflowError:
            raise InvalidInput(f"date {text!r} is out of range") from None
    try:
        return date.fromisoformat(value[:10]) if len(value) == 10 else _fail(text)
    except ValueError:
        _fail(text)
    raise AssertionError("unreachable")


def parse_when(text: str, today: date) -> str:
    """A date or date-time as stored on touchpoints and rounds: 'YYYY-MM-DD' or 'YYYY-MM-DDTHH:MM'."""
    value = text.strip()
    if len(value) > 10 and value[:10].count("-") == 2:
        try:
            moment = datetime.fromisoformat(value.replace(" ", "T", 1))
        except ValueError:
            _fail(text)
        if moment.tzinfo is not None:  # stored as the local wall-clock time the user meant
            moment = moment.replace(tzinfo=None)
        return moment.strftime("%Y-%m-%dT%H:%M")
    return parse_date(value, today).isoformat()


def _fail(text: str) -> None:
    raise InvalidInput(f"bad date {text!r}: {_HINT}")
