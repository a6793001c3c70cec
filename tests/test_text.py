from crm.text import fold, phone_digits, phone_key


def test_fold_removes_case_accents_and_extra_spaces():
    assert fold("  Zoë   ØDEGÅRD ") == "zoe odegard"
    assert fold("Łukasz Straße") == "lukasz strasse"


def test_phone_keys_match_national_and_international_forms():
    assert phone_digits("+44 (0)20-7946 0000") == "440207946" + "0000"
    assert phone_key("+44 20 7946 0000") == phone_key("020 7946 0000")
    assert phone_key("0044 20 7946 0000") == phone_key("+44 20 7946 0000")
