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


# The combining marks of U+0300-U+036F, the accents of Latin, Greek and Cyrillic letters (not
# U+034F, the grapheme joiner, which combines with nothing).
_ACCENTS = re.compile("[" + "".join(chr(c) for c in range(0x300, 0x370) if unicodedata.combining(chr(c))) + "]+")


def fold(text: str) -> str:
    """Case- and accent-insensitive key: 'Zoë  Ødegård' -> 'zoe odegard'."""
    if text.isascii():
        return " ".join(text.lower().split())
    text = text.translate(_LETTERS)
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = _ACCENTS.sub("", decomposed)
    if not stripped.isascii():  # marks of other blocks, or letters beyond ASCII: each looked at
        stripped = "".join(ch for ch in stripped if not unicodedata.combining(ch))
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
    return _without_00(_NON_DIGITS.sub("", number))


def _without_00(digits: str) -> str:
    return digits[2:] if digits.startswith("00") else digits


@lru_cache(maxsize=1 << 16)  # an import keys each number several times (match, merge, write)
def phone_key(number: str, region: str | None = None) -> str:
    """E.164 ('+442079460000') when `phonenumbers` can read the number: an international one
    always, a national one when `region` (ISO 3166 code, e.g. "GB", chosen by the CLI) says
    where it is dialled; else its digits only. '+44 20 7946 0000' and '020 7946 0000' with
    region GB are one key; a number no plan knows still compares by its digits."""
    every = _NON_DIGITS.sub("", number)
    digits = _without_00(every)  # phone_digits(number), from the digits the shortcut reads too
    if len(digits) < 7:
        return digits
    text = number.strip()
    after_plus = every  # the digits after the "+" of `text`
    if text.startswith("00"):
        text = "+" + text[2:]
        after_plus = digits
    if _INTERNATIONAL.fullmatch(text):
        plans = _plans()
        if plans is not None:
            return _international_key(text, after_plus, digits, plans)
    import phonenumbers

    try:
        parsed = phonenumbers.parse(text, region if region and not text.startswith("+") else None)
    except phonenumbers.NumberParseException:
        return digits
    if not phonenumbers.is_possible_number(parsed):
        return digits
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


# "+" then ASCII digits and the separators people write between them: the shape nearly every
# stored number has, which `_international_key` keys without the whole of `phonenumbers.parse`.
_INTERNATIONAL = re.compile(r"\+[0-9][0-9 ()./-]*")


class _Plans:
    """The parts of `phonenumbers` that `parse`, `is_possible_number` and `format_number` use on
    an international number, and what they answer that depends on the calling code (its plan)
    and on the length of the national number alone, remembered."""

    def __init__(self):
        from phonenumbers import phonenumberutil as util
        from phonenumbers.phonemetadata import PhoneMetadata

        self.codes = {str(code): code for code in util.COUNTRY_CODE_TO_REGION_CODE}
        self.region_of = util.region_code_for_country_code
        self.metadata_of = PhoneMetadata.metadata_for_region_or_calling_code
        self.strip_national_prefix = util._maybe_strip_national_prefix_carrier_code
        self.test_length = util._test_number_length  # reads the number's length only
        self.possible = frozenset((util.ValidationResult.IS_POSSIBLE, util.ValidationResult.IS_POSSIBLE_LOCAL_ONLY))
        self.kept = frozenset((util.ValidationResult.TOO_SHORT, util.ValidationResult.IS_POSSIBLE_LOCAL_ONLY,
                               util.ValidationResult.INVALID_LENGTH))
        self.min_length, self.max_length = util._MIN_LENGTH_FOR_NSN, util._MAX_LENGTH_FOR_NSN
        self.max_input = util._MAX_INPUT_STRING_LENGTH
        self.longest_code = util._MAX_LENGTH_COUNTRY_CODE
        self.plans: dict[int, object] = {}
        self.lengths: dict[tuple[int, int], object] = {}

    def plan(self, code: int):
        metadata = self.plans.get(code)
        if metadata is None:
            metadata = self.plans[code] = self.metadata_of(code, self.region_of(code))
        return metadata

    def length(self, code: int, metadata, length: int):
        result = self.lengths.get((code, length))
        if result is None:
            result = self.lengths[code, length] = self.test_length("0" * length, metadata)
        return result


@lru_cache(maxsize=1)
def _plans() -> _Plans | None:
    """None (each number then takes the whole parse) if this release of phonenumbers no longer
    has the parts `_international_key` uses."""
    try:
        return _Plans()
    except (ImportError, AttributeError):
        return None


def _international_key(text: str, number: str, digits: str, plans: _Plans) -> str:
    """`phone_key` of `text`, an `_INTERNATIONAL` number (`number`: its digits after the "+";
    `digits`: the key when no plan can read it): the steps
    `phonenumbers.parse` takes on such a number, then `is_possible_number` and E.164, one by
    one, without what parse does to find the number in free text, read letters as digits or
    split off an extension (none of which a number of this shape has). Held equal to the whole
    parse by tests/test_phone_key.py."""
    if len(text) > plans.max_input:  # parse will not read it
        return digits
    # The calling code: the shortest prefix that is one (none starts with 0).
    code = 0
    if number[:1] != "0":
        for size in range(1, min(len(number), plans.longest_code) + 1):
            code = plans.codes.get(number[:size], 0)
            if code:
                national = number[size:]
                break
    if not code:  # no plan has this calling code
        return digits
    metadata = plans.plan(code)
    if metadata is None or len(national) < plans.min_length:
        return digits
    _carrier, stripped, _found = plans.strip_national_prefix(national, metadata)
    if plans.length(code, metadata, len(stripped)) not in plans.kept:
        national = stripped
    if len(national) > plans.max_length or plans.length(code, metadata, len(national)) not in plans.possible:
        return digits
    return f"+{code}{national}"


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
