"""Small text normalisations shared by matching, storage and rendering."""
from __future__ import annotations

import re
import unicodedata

# Letters that NFKD does not decompose into a base letter plus a mark.
_LETTERS = str.maketrans(
    {"ø": "o", "Ø": "o", "ł": "l", "Ł": "l", "đ": "d", "Đ": "d", "æ": "ae", "Æ": "ae",
     "œ": "oe", "Œ": "oe", "ß": "ss", "þ": "th", "Þ": "th", "ı": "i"}
)
_SPACES = re.compile(r"\s+")
_NON_DIGITS = re.compile(r"\D+")


def fold(text: str) -> str:
    """Case- and accent-insensitive key: 'Zoë  Ødegård' -> 'zoe odegard'."""
    if text.isascii():
        return " ".join(text.lower().split())
    text = text.translate(_LETTERS)
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped.casefold()).strip()


def phone_digits(number: str) -> str:
    """Digits only, with a leading international 00 read as +: '+44 (0)20-7946' -> '44020' + ..."""
    digits = _NON_DIGITS.sub("", number)
    if digits.startswith("00"):
        digits = digits[2:]
    return digits


def phone_key(number: str) -> str:
    """The last 9 digits: matches '+44 20 7946 0000' with '020 7946 0000' (national vs international)."""
    digits = phone_digits(number)
    return digits[-9:] if len(digits) >= 7 else digits


def email_key(address: str) -> str:
    return address.strip().lower()


_URL_PREFIX = re.compile(r"^(?:https?://)?(?:www\.)?", re.IGNORECASE)


def url_key(url: str) -> str:
    """'https://www.LinkedIn.com/in/ada/' -> 'linkedin.com/in/ada' (scheme, www and trailing / dropped)."""
    return _URL_PREFIX.sub("", url.strip()).rstrip("/").lower()


def method_key(medium: str, value: str) -> str:
    """The normalised form of an email, phone, URL or profile, as stored in contact_method.norm."""
    if medium == "email":
        return email_key(value)
    if medium == "phone":
        return phone_key(value)
    return url_key(value)


def and_list(items) -> str:
    """'a', 'a and b', 'a, b and c', in the order given."""
    names = list(items)
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]
