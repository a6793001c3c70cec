"""Small text normalisations shared by matching, storage and rendering."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Letters that NFKD does not decompose into a base letter plus a mark.
_LETTERS = str.maketrans(
    {"ø": "o", "Ø": "o", "ł": "l", "Ł": "l", "đ": "d", "Đ": "d", "æ": "ae", "Æ": "ae",
     "œ": "oe", "Œ": "oe", "ß": "ss", "þ": "th", "Þ": "th", "ı": "i"}
)
_SPACES = re.compile(r"\s+")
_NON_DIGITS = re.compile(r"\D+")


def nfc(text: str) -> str:
    """Unicode NFC (composed "é"), cheaply for the ASCII text that is nearly all of it."""
    if text.isascii() or unicodedata.is_normalized("NFC", text):
        return text
    return unicodedata.normalize("NFC", text)


def fold(text: str) -> str:
    """Case- and accent-insensitive key: 'Zoë  Ødegård' -> 'zoe odegard'."""
    if text.isascii():
        return " ".join(text.lower().split())
    text = text.translate(_LETTERS)
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped.casefold()).strip()


# Legal forms that name no organisation of their own: "Initech, Inc." is Initech. Compared on
# folded words with their dots dropped, so "S.A." and "SA", "Inc." and "inc" are one.
LEGAL_SUFFIXES = frozenset("inc incorporated ltd limited llc gmbh sa plc corp corporation ag".split())
_ORG_DOTS = str.maketrans({".": "", ",": " "})


@lru_cache(maxsize=1 << 12)  # a book names a few hundred organisations, each again and again
def org_key(name: str) -> str:
    """The identity of an organisation name: folded (case, accents, NFC/NFD alike), its dots and
    commas dropped, a leading "The" and trailing legal forms ignored: "The Initech, Inc." and
    "initech" are one organisation. A name that is nothing but such words keeps them."""
    words = fold(name).translate(_ORG_DOTS).split()
    core = words[1:] if len(words) > 1 and words[0] == "the" else words
    while len(core) > 1 and core[-1] in LEGAL_SUFFIXES:
        core = core[:-1]
    return " ".join(core or words)


def interest_key(name: str) -> str:
    """The identity of an interest tag: "Écologie", "écologie" and "ECOLOGIE" are one tag."""
    return fold(name)


def phone_digits(number: str) -> str:
    """Digits only, with a leading international 00 read as +: '+44 (0)20-7946' -> '44020' + ..."""
    digits = _NON_DIGITS.sub("", number)
    if digits.startswith("00"):
        digits = digits[2:]
    return digits


@lru_cache(maxsize=1 << 16)  # an import keys each number several times (match, merge, write)
def phone_key(number: str, region: str | None = None) -> str:
    """E.164 ('+442079460000') when `phonenumbers` can read the number: an international one
    always, a national one when `region` (ISO 3166 code, e.g. "GB", chosen by the CLI) says
    where it is dialled; else its digits only. '+44 20 7946 0000' and '020 7946 0000' with
    region GB are one key; a number no plan knows still compares by its digits."""
    digits = phone_digits(number)
    if len(digits) < 7:
        return digits
    import phonenumbers

    text = number.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        parsed = phonenumbers.parse(text, region if region and not text.startswith("+") else None)
    except phonenumbers.NumberParseException:
        return digits
    if not phonenumbers.is_possible_number(parsed):
        return digits
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def phone_key_fits(value: str, norm: str) -> bool:
    """True when `norm` is a key `phone_key` gives `value` with some region: the region of the
    E.164 number itself, for a national number keyed where it is dialled."""
    if norm == phone_key(value):
        return True
    if not norm.startswith("+"):
        return False
    import phonenumbers

    try:
        region = phonenumbers.region_code_for_number(phonenumbers.parse(norm))
    except phonenumbers.NumberParseException:
        return False
    return bool(region) and norm == phone_key(value, region)


def email_key(address: str) -> str:
    return address.strip().lower()


_URL_PREFIX = re.compile(r"^(?:https?://)?(?:www\.)?", re.IGNORECASE)


def url_key(url: str) -> str:
    """'https://www.LinkedIn.com/in/ada/' -> 'linkedin.com/in/ada' (scheme, www and trailing / dropped)."""
    return _URL_PREFIX.sub("", url.strip()).rstrip("/").lower()


def method_key(medium: str, value: str, region: str | None = None) -> str:
    """The normalised form of an email, phone, URL or profile, as stored in contact_method.norm."""
    if medium == "email":
        return email_key(value)
    if medium == "phone":
        return phone_key(value, region)
    return url_key(value)


def and_list(items) -> str:
    """'a', 'a and b', 'a, b and c', in the order given."""
    names = list(items)
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]
