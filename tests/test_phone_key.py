"""`phone_key`'s shortcut for international numbers gives what the whole `phonenumbers` parse gives.

`reference` is phone_key as it was before the shortcut: parse, is_possible_number, E.164 (the
path every number not of the shortcut's shape still takes).
"""
from __future__ import annotations

from unittest import mock

import phonenumbers
import pytest
from hypothesis import example, given, settings, strategies as st

from crm import text as crm_text
from crm.text import phone_key

key = phone_key.__wrapped__  # not the cache: each call takes the path under test


def reference(number: str, region: str | None = None) -> str:
    """phone_key with every number taken through the whole parse."""
    with mock.patch.object(crm_text, "_plans", lambda: None):
        return key(number, region)


def test_this_phonenumbers_has_the_parts_the_shortcut_uses():
    # Without them every number takes the whole parse: right, but the import slows by a tenth.
    assert crm_text._plans() is not None


def test_the_shortcut_takes_the_numbers_people_store():
    for number in ("+44 20 7946 0000", "+1 (415) 555-0100", "+49 30/1234567", "+33.6.12.34.56.78",
                   "0044 20 7946 0000", "+39 06 6982 1234"):
        assert crm_text._INTERNATIONAL.fullmatch(number.replace("00", "+", 1) if number.startswith("00") else number)


def _example_numbers() -> list[str]:
    """Each region's example numbers (every type) written the ways people write them."""
    out = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in (phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE,
                     phonenumbers.PhoneNumberType.TOLL_FREE, phonenumbers.PhoneNumberType.VOIP):
            number = phonenumbers.example_number_for_type(region, kind)
            if number is None:
                continue
            for fmt in (phonenumbers.PhoneNumberFormat.E164, phonenumbers.PhoneNumberFormat.INTERNATIONAL):
                out.append(phonenumbers.format_number(number, fmt))
            # with the trunk prefix left in, as many write them: "+44 (0)20 ..."
            national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
            out.append(f"+{number.country_code} ({national[:1]}){national[1:]}")
            out.append(f"+{number.country_code} {''.join(ch for ch in national if ch.isdigit())}")
    for code in sorted(phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS):
        number = phonenumbers.example_number_for_non_geo_entity(code)
        if number is not None:
            out.append(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL))
    return out


def test_every_regions_example_numbers_key_as_the_whole_parse_keys_them():
    numbers = _example_numbers()
    assert len(numbers) > 1000
    shortcut = [n for n in numbers if crm_text._INTERNATIONAL.fullmatch(n)]
    assert len(shortcut) > 0.9 * len(numbers)
    for number in numbers:
        assert key(number) == reference(number), number
        assert key(number, "GB") == reference(number, "GB"), number


# The shape the shortcut takes, and its near misses: any digits (a zero or no known calling code
# first, too few, too many), any separators, a "00" prefix, spaces around.
_SEPARATED = st.lists(st.tuples(st.text("0123456789", min_size=1, max_size=5), st.sampled_from(["", " ", "-", ".", "/", "(", ")", " (", ") ", "  ", "--"])),
                      min_size=1, max_size=8).map(lambda parts: "".join(d + s for d, s in parts))


@settings(max_examples=600)
@given(prefix=st.sampled_from(["+", "00", " +", "+0", "+1", "+44", "+39 0", "+7", "+800", "+882", "+999"]),
       body=_SEPARATED, region=st.sampled_from([None, "GB", "US", "IT", "DE"]))
@example(prefix="+", body="0044 20 7946 0000", region=None)
@example(prefix="+", body="9" * 260, region=None)
@example(prefix="+", body="1" * 18, region=None)
@example(prefix="+44", body="0", region=None)
def test_any_international_number_keys_as_the_whole_parse_keys_it(prefix, body, region):
    number = prefix + body
    assert key(number, region) == reference(number, region)


@pytest.mark.slow
@settings(max_examples=30_000, derandomize=False)
@given(prefix=st.sampled_from(["+", "00", "+0", "+1", "+44", "+39", "+7", "+800", "+86", "+353"]),
       body=_SEPARATED)
def test_many_more_international_numbers_key_as_the_whole_parse_keys_them(prefix, body):
    number = prefix + body
    assert key(number) == reference(number)
