import unicodedata

from hypothesis import given, strategies as st

from crm import text as crm_text
from crm.text import fold, interest_key, org_key, phone_digits, phone_key


def reference_fold(text: str) -> str:
    """fold as first written: every character of the NFKD form looked at."""
    if text.isascii():
        return " ".join(text.lower().split())
    decomposed = unicodedata.normalize("NFKD", text.translate(crm_text._LETTERS))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return crm_text._SPACES.sub(" ", stripped.casefold()).strip()


def test_fold_removes_case_accents_and_extra_spaces():
    assert fold("  Zoë   ØDEGÅRD ") == "zoe odegard"
    assert fold("Łukasz Straße") == "lukasz strasse"


def test_fold_drops_the_marks_of_every_character_as_looking_at_each_did():
    # Each character of the scripts of names (to U+2FFF), alone, after a letter and an accent.
    for code in range(0x80, 0x3000):
        for text in (chr(code), f"Zoe\u0301{chr(code)} x"):
            assert fold(text) == reference_fold(text), hex(code)


@given(st.text(st.characters(blacklist_categories=("Cs",)), max_size=12))
def test_fold_of_any_text_is_the_fold_that_looks_at_each_character(text):
    assert fold(text) == reference_fold(text)


def test_phone_keys_match_national_and_international_forms():
    assert phone_digits("+44 (0)20-7946 0000") == "440207946" + "0000"
    assert phone_key("+44 20 7946 0000") == phone_key("020 7946 0000", "GB") == "+442079460000"
    assert phone_key("0044 20 7946 0000") == phone_key("+44 20 7946 0000")
    # Without a region a national number keeps its digits; in another country it is another number.
    assert phone_key("020 7946 0000") == "02079460000" != phone_key("020 7946 0000", "DE")
    assert phone_key("12-34") == "1234"  # too short for any plan: digits only


def test_organisation_and_interest_keys_fold_unicode_and_legal_forms():
    assert org_key("Élan Systems") == org_key("ELAN systems") == org_key("E\u0301lan Systems") == "elan systems"
    assert org_key("Initech, Inc.") == org_key("The Initech") == org_key("initech") == "initech"
    assert org_key("Acme S.A.") == org_key("ACME GmbH") == org_key("Acme LLC") == "acme"
    assert org_key("Inc.") == "inc" and org_key("The") == "the"  # nothing but a legal form: kept
    assert interest_key("Écologie") == interest_key("ECOLOGIE") == interest_key("e\u0301cologie")
