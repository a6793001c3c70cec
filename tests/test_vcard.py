"""Unit tests of the vCard format layer: one test per repair, each on a fixture in
fixtures/vcard/ named for the bug it reproduces, plus the writer's output rules."""
from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from crm.formats.card import Birthday, Card, Typed
from crm.errors import FormatError
from crm.formats.vcard import NO_NAME, count_hint, read_cards, social_network, write_card, write_cards
from crm.formats.vcard.text import fold, parse_params

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "vcard"
QP_RUN = re.compile(r"=[0-9A-F]{2}(?![0-9A-Fa-f])")


def results(name: str):
    return list(read_cards((FIXTURES / name).read_bytes()))


def cards(name: str) -> list[Card]:
    found = results(name)
    assert all(r.card is not None for r in found), [r.error for r in found]
    return [r.card for r in found]


def card(name: str) -> Card:
    (only,) = cards(name)
    return only


def warnings(name: str) -> list[str]:
    return [w for r in results(name) for w in r.warnings]


# --- bytes and charsets --------------------------------------------------------------------


def test_qp_soft_break_inside_a_utf8_sequence_is_joined_before_decoding():
    found = card("qp-softbreak-inside-utf8.vcf")
    assert found.display_name == "Renée Müller"
    assert (found.given_name, found.family_name) == ("Renée", "Müller")
    assert found.note == "First line\nSecond line, with a comma\n€ 100"


def test_qp_soft_break_with_an_indented_continuation():
    assert card("qp-softbreak-indented.vcf").display_name == "Björn Åkesson"


def test_qp_soft_break_followed_by_a_blank_line_ends_the_value():
    found = card("qp-softbreak-then-blank-line.vcf")
    assert found.org == "Compañía"
    assert found.phones == [Typed("+34 600 000 000", "cell,pref")]
    assert found.display_name == "Ana Ñúñez"


def test_qp_stray_byte_and_invalid_escapes_survive():
    found = card("qp-stray-invalid-escapes.vcf")
    assert found.display_name == "Zoë Smith"  # the stray =80 byte is dropped, not mojibake
    assert found.note == "50=ZZ off=3 today"  # invalid escapes kept literally
    assert found.title == "Head = chief"
    assert any("invalid UTF-8" in w for w in warnings("qp-stray-invalid-escapes.vcf"))


def test_cp1251_declared_per_property_and_used_for_undeclared_lines():
    found = card("cp1251-declared-charset.vcf")
    assert found.display_name == "Иван Иванов"
    assert (found.given_name, found.family_name) == ("Иван", "Иванов")
    assert found.org == "Рога и копыта"
    assert found.note == "Встреча в Москве"  # no CHARSET on NOTE: the file's declared one
    assert any("decoded as cp1251" in w for w in warnings("cp1251-declared-charset.vcf"))


def test_a_21_card_may_mix_charsets_property_by_property():
    found = card("mixed-charsets-per-property-21.vcf")
    assert found.display_name == "Γιώργος Παπαδόπουλος"
    assert found.family_name == "Παπαδόπουλος"
    assert found.org == "Рога и копыта"
    assert found.note == "Grüße aus Köln"
    assert found.title == "Directeur général"


def test_shift_jis_trail_byte_0x5c_is_not_taken_for_a_backslash():
    found = card("shift-jis-declared-charset.vcf")
    assert found.display_name == "表 ソウタ"
    assert found.family_name == "表"
    assert found.org == "ソニー株式会社"


def test_undeclared_cp1252_bytes_are_decoded_with_a_warning():
    found = card("cp1252-undeclared.vcf")
    assert found.display_name == "José Martínez"
    assert found.title == "Directeur général"
    assert any(w.startswith("line 3: undeclared charset, decoded as cp1252") for w in warnings("cp1252-undeclared.vcf"))


def test_iso_8859_1_label_on_utf8_bytes_does_not_make_mojibake():
    found = card("iso-8859-1-declared-but-utf8.vcf")
    assert (found.given_name, found.family_name) == ("Jürgen", "Müller")
    assert found.display_name == "Jürgen Müller"
    assert found.org == "Köln AG"  # a real ISO-8859-1 byte (=F6) still decodes as declared


def test_unknown_charset_names_warn_and_fall_back():
    found = card("unknown-charset-name.vcf")
    assert found.display_name == "Renée Dupont"
    assert found.note == "plain note"  # CHARSET=BASE64 is a codec, but not a text one
    assert any("unknown charset 'X-KLINGON-8'" in w for w in warnings("unknown-charset-name.vcf"))


@pytest.mark.parametrize("name, expected", [
    ("utf8-bom.vcf", ["Łukasz Wiśniewski"]),
    ("utf16-bom.vcf", ["Søren Østergaard", "Zoë Nguyễn"]),
    ("utf16be-bom.vcf", ["Ólafur Sigurðsson"]),
])
def test_byte_order_marks(name, expected):
    assert [c.display_name for c in cards(name)] == expected


def test_utf16_without_bom_is_detected():
    data = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ünal\r\nEND:VCARD\r\n".encode("utf-16-le")
    (result,) = read_cards(data)
    assert result.card.display_name == "Ünal"
    assert any("UTF-16" in w for w in result.warnings)


def test_doubly_encoded_utf8_is_repaired():
    found = card("mojibake-double-encoded.vcf")
    assert found.display_name == "José Müller"
    assert found.family_name == "Müller"
    assert found.note == "It’s fine – really"


# --- lines ---------------------------------------------------------------------------------


def test_cr_cr_lf_line_ends():
    found = card("crcrlf-line-ends.vcf")
    assert found.note == "folded over a CR CR LF line end"
    assert found.emails == [Typed("crcr@example.com")]


def test_lone_cr_line_ends():
    assert [(c.display_name, c.note) for c in cards("lone-cr-line-ends.vcf")] == [
        ("Old Mac", "folded with CR only"), ("Second", "")]


def test_lf_only_and_tab_folding():
    found = card("lf-and-tab-folding.vcf")
    assert found.display_name == "TabFolded"
    assert found.note == "a long note that continues with a space and a tab"


def test_blank_lines_comments_and_profile_are_ignored():
    found = card("blank-lines-comments-profile.vcf")
    assert found.display_name == "Blank Lines"
    assert found.emails == [Typed("blank@example.com")]
    assert found.extra == []  # PROFILE:VCARD is noise
    assert results("blank-lines-comments-profile.vcf")[0].line == 3


def test_empty_parameter_slots():
    found = card("empty-param-slots.vcf")
    assert found.phones == [Typed("+1 555 0100", "cell")]
    assert found.emails == [Typed("slots@example.com", "home")]


def test_unindented_base64_block_ended_by_a_blank_line():
    found = card("base64-photo-unindented-21.vcf")
    assert found.emails == [Typed("photo@example.com")]
    (photo,) = found.extra
    assert photo.startswith("PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQ")
    assert photo.endswith("AKp//2Q==")  # all three lines joined, padding repaired


def test_missing_end_ends_at_the_next_begin_or_eof():
    found = results("missing-end.vcf")
    assert [(r.index, r.line, r.card.display_name) for r in found] == [
        (1, 1, "First Without End"), (2, 5, "Second Complete"), (3, 9, "Third At Eof")]
    assert found[0].card.emails == [Typed("first@example.com")]
    assert "missing END" in found[0].warnings[0] and "missing END" in found[2].warnings[0]


def test_missing_begin():
    found = results("missing-begin.vcf")
    assert [r.card.display_name for r in found] == ["No Begin", "Normal"]
    assert found[0].warnings == ("missing BEGIN:VCARD",)


def test_missing_version():
    assert card("missing-version.vcf").phones == [Typed("+1 555 0101")]


def test_nested_agent_card_stays_inside_its_parent():
    found = card("nested-agent-21.vcf")
    assert found.display_name == "Boss Person"
    assert found.emails == [Typed("boss@example.com")]
    assert found.phones == [Typed("+1 555 0102", "work")]  # after the nested card
    (agent,) = found.extra
    assert agent.startswith("AGENT:BEGIN:VCARD\\nVERSION:2.1\\nFN:Assistant Person\\n")


def test_begin_end_case_variants():
    assert [c.display_name for c in cards("begin-end-case-variants.vcf")] == ["Lower Case", "Mixed Case"]


def test_quoted_params_with_colon_semicolon_rfc6868_and_folded_mid_param():
    found = card("rfc6868-quoted-params.vcf")
    assert found.phones == [Typed("+1 555 0112", "cell")]
    assert found.emails == [Typed("params@example.com")]
    adr, custom = found.extra
    assert adr.endswith('corner":;;Main St. 1;Springfield;;;')  # unfolded, kept verbatim
    # a bare 2.1 parameter forces a rebuild: the RFC 6868 escapes are written back
    assert custom == "X-CUSTOM;TYPE=home;X-NOTE=\"line 1^nline 2: ^'quoted^'\":value after a quoted colon"


def test_parse_params_decodes_rfc6868_and_bare_params():
    params, rebuild = parse_params("WORK;;LABEL=\"a^nb^'c^'^^d;e:f\";ENCODING=QUOTED-PRINTABLE")
    assert params == (("TYPE", "WORK"), ("LABEL", "a\nb\"c\"^d;e:f"), ("ENCODING", "QUOTED-PRINTABLE"))
    assert rebuild


# --- text values ---------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["2.1", "3.0", "4.0"])
def test_a_capital_backslash_n_is_a_newline_too(version):
    r"""docs/vcard.md: `\n` and `\N` both unescape to a newline, in text and in structured values
    (RFC 6350 3.4 allows either case); an escaped backslash before an N is a backslash and an N."""
    data = (f"BEGIN:VCARD\r\nVERSION:{version}\r\nFN:Ada Lovelace\r\n"
            "NOTE:first\\Nsecond\\nthird\r\nTITLE:Head\\NLondon\r\n"
            "ORG:C:\\\\New;Lab\\NEast\r\nEND:VCARD\r\n").encode("ascii")
    (result,) = read_cards(data)
    assert result.card.note == "first\nsecond\nthird"
    assert result.card.title == "Head\nLondon"
    assert (result.card.org, result.card.department) == ("C:\\New", "Lab\nEast")
    assert result.warnings == ()


def test_text_is_never_cut_at_an_unescaped_comma():
    found = card("fn-title-note-unescaped-comma.vcf")
    assert found.display_name == "Doe, John"
    assert found.title == "VP, Engineering"
    assert found.note == "Met in Paris, London, and Berlin; liked it"


def test_org_company_comma_the():
    found = card("org-company-comma-the.vcf")
    assert (found.org, found.department) == ("Company, The", "TheDepartment")


def test_escaped_semicolons_and_commas_in_structured_values():
    found = card("n-org-escaped-separators.vcf")
    assert (found.family_name, found.given_name, found.additional_names) == ("Doe;Smith", "John", "Richter, James")
    assert (found.name_prefix, found.name_suffix) == ("Mr.", "Sr.")
    assert (found.org, found.department) == ("Research; Development Ltd", "Lab, East, Floor 2")


def test_escaped_colon_in_urls():
    found = card("escaped-colon-url.vcf")
    assert found.urls == [Typed("http://www.example.com/a,b", "work")]


def test_nickname_and_categories_are_comma_lists():
    found = card("nickname-and-categories-lists.vcf")
    assert found.nickname == "Bob, Bobby, Rob"
    assert found.categories == ["Recruiters", "Friends, family and more", "Conference"]


def test_thunderbird_escaped_category_separators():
    assert card("thunderbird-categories-escaped-commas.vcf").categories == ["category1", "category2", "category3"]


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.vcf")))
def test_no_escape_or_qp_residue_in_any_text_field(name):
    for found in cards(name) if name != "broken-card-isolated.vcf" else []:
        for text in (found.display_name, found.given_name, found.family_name, found.org,
                     found.title, found.note, found.nickname, found.department):
            assert "\\:" not in text and "\\," not in text and "\\;" not in text
            assert not QP_RUN.search(text), text
            assert "Ã" not in text and "â€" not in text, text


# --- typed values, groups, socials ---------------------------------------------------------


def test_apple_item_groups_put_labels_on_their_property():
    found = card("apple-itemN-ablabel.vcf")
    assert found.phones == [Typed("+1 555 0103", "voice", "Assistant line")]  # label came first
    assert found.urls == [Typed("http://www.example.com", "pref", "HomePage")]
    assert found.emails == [Typed("custom@example.com", "", "Side project"),
                            Typed("work@example.com", "work,pref")]
    # a label on an unmapped property stays with it, group prefix and all
    assert found.extra == ["item4.X-ABDATE;type=pref:2010-06-01", "item4.X-ABLabel:_$!<Anniversary>!$_"]


def test_socials_from_socialprofile_impp_and_legacy_im():
    found = card("socials-impp-and-legacy-im.vcf")
    assert found.socials == [
        Typed("http://twitter.com/jdoe", "", "", "twitter"),
        Typed("http://www.linkedin.com/in/jdoe", "", "", "linkedin"),
        Typed("https://github.com/jdoe", "", "", "github"),  # guessed from the host
        Typed("skype:jdoe", "home", "", "impp:skype"),
        Typed("xmpp:jdoe@jabber.example", "", "", "impp:xmpp"),
        Typed("jdoe42", "home", "", "x-aim"),
        Typed("123456789", "", "", "x-icq"),
        Typed("jdoe@jabber.example", "", "", "x-jabber"),
        Typed("jdoe.skype", "", "", "x-skype"),
        Typed("@jdoe", "", "", "x-twitter"),
    ]
    assert [social_network(s.service) for s in found.socials[3:6]] == ["skype", "xmpp", "aim"]


def test_tel_uri_quoted_type_list_and_pref_param():
    found = card("tel-uri-and-quoted-type-list.vcf")
    assert found.phones == [
        Typed("+1-555-555-0106;ext=55", "pref,voice,home"),
        Typed("+15555550107", "cell"),
        Typed("67545678", "cell"),  # VALUE=URI on a value that is not a URI
    ]
    assert found.emails == [Typed("teluri@example.com")]  # mailto: stripped


def test_type_param_variants_become_one_lowercase_kind():
    found = card("type-param-variants.vcf")
    assert [p.kind for p in found.phones] == ["work,voice", "cell,voice,pref", "home,fax", "home,voice"]
    assert found.emails == [Typed("types@example.com", "pref")]  # INTERNET is noise


def test_role_goes_to_extra_and_x_crm_role_to_role():
    first, second = cards("role-vs-x-crm-role.vcf")
    assert first.role == "recruiter"
    assert first.extra == ["ROLE:Counting Money"]
    assert second.role == "" and second.extra == ["X-CRM-ROLE:astronaut"]


# --- birthdays, names, photos --------------------------------------------------------------


def test_birthdays_without_a_year_and_text_birthdays():
    found = cards("bday-yearless-and-text.vcf")
    assert [c.birthday for c in found[:4]] == [Birthday(3, 15)] * 4  # 1604, 16040315, --03-15, --0315
    assert found[4].birthday is None and found[4].extra == ["BDAY;VALUE=text:circa 1800"]
    assert found[5].birthday is None and found[5].extra == ["BDAY:2019-02-30"]
    assert found[6].birthday == Birthday(3, 22, 1980)


def test_display_name_fallbacks():
    found = cards("display-name-fallbacks.vcf")
    assert [c.display_name for c in found] == [
        "Dr. Erika Mustermann PhD", "Acme, Inc.", "only-email@example.com", "+1 555 0105", NO_NAME]


def test_photos_are_normalised_and_a_broken_one_never_sinks_its_card():
    broken, data_uri, url, empty, unpadded = results("photo-variants-and-broken.vcf")
    assert broken.card.emails == [Typed("broken-photo@example.com")] and broken.card.extra == []
    assert any("PHOTO dropped" in w for w in broken.warnings)
    assert data_uri.card.extra == ["PHOTO;ENCODING=b;TYPE=PNG:iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1Pe"
                                   "AAAADElEQVQI12P4//8/AAX+Av7czFnnAAAAAElFTkSuQmCC"]
    assert url.card.extra == ["PHOTO;VALUE=uri:http://www.example.com/photo.gif",
                              "LOGO;VALUE=uri:http://www.example.com/logo.png"]
    assert empty.card is not None and empty.card.extra == []
    assert unpadded.card.extra == ["PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRgABAQ=="]


def test_qp_and_charset_lines_kept_in_extra_are_reencoded():
    found = card("qp-label-kept-in-extra-21.vcf")
    assert found.extra == [
        "ADR;TYPE=work,pref:;;Hauptstraße 1;Köln;;50667;Germany",
        "LABEL;TYPE=work,pref:Hauptstraße 1\\n50667 Köln\\, Germany",
        "X-MS-TEL;TYPE=voice,callback:(111) 555-4444",
    ]


# --- isolation and refusal -----------------------------------------------------------------


def test_a_broken_card_is_reported_and_the_others_still_come_out():
    found = results("broken-card-isolated.vcf")
    assert [(r.index, r.line) for r in found] == [(1, 1), (2, 5), (3, 9), (4, 13)]
    assert [r.card.display_name for r in found if r.card] == ["Good One", "Good Two"]
    assert found[1].card is None and "could be read" in found[1].error
    assert found[3].card is None and "empty" in found[3].error


@pytest.mark.parametrize("data, message", [
    (b"", "empty"),
    (b"   \r\n\r\n", "empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "binary"),
    (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n", "no BEGIN:VCARD"),
    (b"Dear friend,\nthis is a letter.\n", "no BEGIN:VCARD"),
])
def test_files_that_are_not_vcard_raise_format_error_at_once(data, message):
    with pytest.raises(FormatError, match=message):
        read_cards(data)  # raised by the call itself, before any iteration


def test_count_hint():
    data = (FIXTURES / "begin-end-case-variants.vcf").read_bytes()
    assert count_hint(data) == 2
    assert count_hint((FIXTURES / "utf16-bom.vcf").read_bytes()) == 2
    assert count_hint(b"nothing") == 0


# --- writer --------------------------------------------------------------------------------


def rich_card() -> Card:
    return Card(
        display_name="Zoë Łukaszewicz-Østergaard, PhD", given_name="Zoë", family_name="Łukaszewicz-Østergaard",
        name_suffix="PhD", nickname="Zo; Z", org="Company, The", department="R&D; Labs", title="VP, Engineering",
        role="recruiter", note="Line one\nLine two, with \\ backslash; and semicolon", birthday=Birthday(2, 29),
        uid="urn:uuid:1234", emails=[Typed("zoe@example.com", "work,pref", "Side gig")],
        phones=[Typed("+48 22 123 45 67", "cell")], urls=[Typed("https://example.com/a,b", "", "HomePage")],
        socials=[Typed("xmpp:zoe@example.com", "home", "", "impp:xmpp"), Typed("zoe42", "", "", "x-aim"),
                 Typed("https://twitter.com/zoe", "", "", "twitter")],
        categories=["Recruiters", "Friends, close"],
        extra=["item1.X-ABDATE:2010-01-01", "item1.X-ABLabel:_$!<Anniversary>!$_",
               "PHOTO;ENCODING=b;TYPE=PNG:iVBORw0KGgo="],
    )


@pytest.mark.parametrize("version", ["3.0", "4.0"])
def test_written_card_reads_back_equal(version):
    original = rich_card()
    (result,) = read_cards(write_card(original, version).encode("utf-8"))
    assert result.card == original
    assert result.warnings == ()


def test_writer_output_shape_3_0():
    text = write_card(rich_card(), "3.0")
    lines = text.split("\r\n")
    assert lines[:4] == ["BEGIN:VCARD", "VERSION:3.0", "PRODID:-//crm//EN", "FN:Zoë Łukaszewicz-Østergaard\\, PhD"]
    assert text.endswith("END:VCARD\r\n") and "\n" not in text.replace("\r\n", "")
    assert "ORG:Company\\, The;R&D\\; Labs" in lines
    assert "BDAY:--02-29" in lines
    assert "X-CRM-ROLE:recruiter" in lines
    # labels get an itemN group after the ones already used in extra
    assert "item2.EMAIL;TYPE=work,pref:zoe@example.com" in lines
    assert "item2.X-ABLabel:Side gig" in lines
    assert "item3.X-ABLabel:_$!<HomePage>!$_" in lines
    assert "IMPP;X-SERVICE-TYPE=xmpp;TYPE=home:xmpp:zoe@example.com" in lines
    assert "X-AIM:zoe42" in lines and "X-SOCIALPROFILE;TYPE=twitter:https://twitter.com/zoe" in lines
    assert "PHOTO;ENCODING=b;TYPE=PNG:iVBORw0KGgo=" in lines


def test_writer_output_shape_4_0():
    lines = write_card(rich_card(), "4.0").split("\r\n")
    assert "BDAY:--0229" in lines
    assert "item2.EMAIL;TYPE=work;PREF=1:zoe@example.com" in lines
    assert "PHOTO:data:image/png;base64,iVBORw0KGgo=" in lines


def test_birthday_with_a_year_in_both_versions():
    card_ = Card(display_name="B", birthday=Birthday(3, 22, 1980))
    assert "BDAY:1980-03-22\r\n" in write_card(card_, "3.0")
    assert "BDAY:19800322\r\n" in write_card(card_, "4.0")


def test_folding_at_75_octets_never_splits_a_utf8_character():
    card_ = Card(display_name="é" * 100, note="€x" * 200)
    text = write_card(card_)
    for physical in text.split("\r\n"):
        assert len(physical.encode("utf-8")) <= 75
    assert fold("a" * 75) == "a" * 75
    folded = fold("ab" + "€" * 30)
    assert all(len(part.encode()) <= 75 for part in folded.split("\r\n"))
    assert folded.replace("\r\n ", "") == "ab" + "€" * 30


def test_write_cards_to_text_and_binary_streams():
    found = [rich_card(), Card(display_name="Second")]
    text_out = io.StringIO(newline="")
    assert write_cards(found, text_out, "4.0") == 2
    binary_out = io.BytesIO()
    assert write_cards(iter(found), binary_out) == 2
    assert [r.card for r in read_cards(binary_out.getvalue())] == found
    assert [r.card for r in read_cards(text_out.getvalue().encode())] == found


def test_unknown_version_is_refused():
    with pytest.raises(ValueError):
        write_card(Card(display_name="x"), "2.1")


@pytest.mark.parametrize("version", ["3.0", "4.0"])
def test_exported_files_parse_with_vobject(version):
    vobject = pytest.importorskip("vobject")
    found = [rich_card()] + [c for name in sorted(p.name for p in FIXTURES.glob("*.vcf"))
                             for c in (r.card for r in results(name)) if c is not None]
    text = "".join(write_card(c, version) for c in found)
    parsed = list(vobject.readComponents(text))
    assert len(parsed) == len(found)
    assert [p.fn.value for p in parsed] == [c.display_name for c in found]


def test_undecodable_bytes_in_an_unmapped_property_never_sink_the_card():
    data = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Photo Person\r\nPHOTO;VALUE=URL:http://x.example/\xff\xfe.jpg\r\nEND:VCARD\r\n"
    (result,) = list(read_cards(data))
    assert result.card is not None and result.card.display_name == "Photo Person"
    assert result.card.extra == ["PHOTO;VALUE=uri:http://x.example/\ufffd\ufffd.jpg"]
    result.card.extra[0].encode("utf-8")  # storable: no lone surrogates left
    assert any("\ufffd" in w for w in result.warnings)


@pytest.mark.parametrize("raw", [
    b"BEGIN:VCARD\r\nFN:A\r\r\nN:;;\rEND:VCARD\r\n",
    b"\xef\xbb\xbfBEGIN:VCARD\r\nFN:\xc3\xa9\r\xff\r\n\xe2\x82\r\n\xf0\x9f\r\x99\x82\rEND:VCARD\n\r",
    "BEGIN:VCARD\r\nFN:\u00e9\U0001f642\r\nEND:VCARD\r".encode("utf-16"),
    b"\r\r\r\n\n\r",
])
def test_line_ends_normalised_in_the_bytes_give_the_text_decoding_first_gave(raw):
    from crm.formats.vcard.text import decode_file

    body = raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = raw.decode("utf-16", "replace").lstrip("\ufeff")
    else:
        text = body.decode("utf-8", "surrogateescape")
    expected = text.replace("\r\r\n", "\n").replace("\r\n", "\n").replace("\r", "\n")
    assert decode_file(raw).text == expected


# ---- a UTF-8 file read card by card reads as the whole decoded text does --------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from fuzzing import examples  # noqa: E402

_LINES = st.sampled_from([
    "BEGIN:VCARD", "END:VCARD", "begin : vcard ", "BEG\u0130N:VCARD", "beg\u0131n:vcard", "End:VCard\t",
    "VERSION:3.0", "FN:Zo\u00eb \u00d8deg\u00e5rd", "FN:caf\u00e9", "N:Park;Jon;;;", "EMAIL:jon@x.example",
    "TEL:+44 20 7946 0000", "ORG:Acme\\, Inc.", "NOTE:line one=", "NOTE;ENCODING=QUOTED-PRINTABLE:caf=C3=A9=",
    " folded \u00e9t\u00e9", "\tmore", "", "   ", "AGENT:", "item1.X-ABLabel:_$!<Other>!$_", "junk line",
    "PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQ", "QUJD", "\U0001f600 emoji:", "# comment",
])


@given(st.lists(_LINES, max_size=40), st.sampled_from(["\n", "\r\n", "\r", "\r\r\n"]), st.booleans())
@settings(max_examples=examples(300), deadline=None)
def test_a_utf8_file_cut_in_its_bytes_reads_as_its_decoded_text(lines, newline, bom):
    from crm.formats.vcard import read as vread
    from crm.formats.vcard import text as vtext

    data = ("\ufeff" if bom else "").encode() + newline.join(lines).encode("utf-8")
    if not data.strip():
        return
    try:
        by_card = list(read_cards(data))
    except FormatError as exc:
        by_card = [str(exc)]
    decoded = vtext.decode_file(data)
    if vread._BOUNDARY.search(decoded.text) is None and vread._PROPERTY_HINT.search(decoded.text) is None:
        return  # refused either way (the message is read_cards' own)
    assert by_card == list(vread._read(decoded.text, decoded))


def test_the_nfc_check_reads_every_text_of_a_card():
    """Card.nfc tests all of a card's texts at once; a text it left out would stay decomposed."""
    import dataclasses

    decomposed = "Zoe\u0308"
    for f in dataclasses.fields(Card):
        if f.name == "birthday":
            continue
        if f.name in ("emails", "phones", "urls", "socials"):
            for part in ("value", "kind", "label", "service"):
                card = Card(**{f.name: [Typed(**{"value": "x", part: decomposed})]})
                assert getattr(getattr(card.nfc(), f.name)[0], part) == "Zo\u00eb", (f.name, part)
        elif f.name in ("categories", "extra"):
            assert getattr(Card(**{f.name: [decomposed]}).nfc(), f.name) == ["Zo\u00eb"], f.name
        else:
            assert getattr(Card(**{f.name: decomposed}).nfc(), f.name) == "Zo\u00eb", f.name
    plain = Card(display_name="Zo\u00eb", emails=[Typed("z@x.example")])
    assert plain.nfc() is plain


def test_begin_with_a_turkish_i_is_cut_where_the_text_reader_cut_it():
    """In a str, re.I lets BEGIN's I be "İ" or "ı"; read in bytes, the same lines are boundaries,
    and "BEGİN" (which upper-cases to itself) still ends a card rather than starting one."""
    data = "BEG\u0130N:VCARD\nFN:a\nEND:VCARD\nbeg\u0131n:vcard\nFN:b\nEND:VCARD".encode()
    assert [(r.index, r.line, r.card.display_name, r.warnings) for r in read_cards(data)] == [
        (1, 2, "a", ("missing BEGIN:VCARD",)), (2, 4, "b", ())]
