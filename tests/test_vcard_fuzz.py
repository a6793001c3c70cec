"""Property tests of the vCard layer.

Laws: write_card -> read_cards gives back the same Card (3.0 and 4.0); no input, however
mangled, makes read_cards raise anything but FormatError, hang, or hit an internal error.
(50 MB single lines are exercised by tests/test_hostile_import.py and bench/; 2 MB here.)
Examples are few so the suite stays fast; `pytest -m fuzz` runs a deeper, random hunt.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from crm.formats.card import ROLES, Birthday, Card, Typed
from crm.errors import FormatError
from crm.formats.vcard import read_cards, write_card
from crm.formats.vcard.text import repair_mojibake
from fuzzing import examples

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "vcard"
_env = os.environ.get("CRM_REAL_VCARDS")
REAL = Path(_env) if _env else Path(__file__).resolve().parents[2] / "shared" / "vcards-real"
SOURCES = sorted(FIXTURES.glob("*.vcf")) + (sorted(REAL.glob("*.vcf")) if REAL.is_dir() else [])
SOURCE_BYTES = [path.read_bytes() for path in SOURCES]

FAST = settings(max_examples=examples(30), deadline=None)
# Building a whole random Card costs more than reading it: fewer of those.
CARDS = settings(max_examples=examples(10), deadline=None)

# --- strategies ----------------------------------------------------------------------------

_awkward = st.sampled_from([",", ";", "\\", ":", '"', " ", "\n", "=", "^", "\\n", "\\,", "é", "€", "😀", "ł"])
_char = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"))


def _clean(text: str) -> bool:
    # Text that looks like doubly-encoded UTF-8 ("Ã©") is repaired on purpose: not a round trip.
    return repair_mojibake(text) is None


text = st.lists(st.one_of(_char, _awkward), max_size=16).map("".join).map(str.strip).filter(_clean)
some_text = text.filter(bool)
kinds = st.lists(st.sampled_from(["work", "home", "cell", "voice", "fax", "pref", "x-custom"]),
                 unique=True, max_size=3).map(",".join)
labels = st.one_of(st.just(""), some_text.filter(lambda s: not s.startswith("_$!<")))


def typed(value, kind=kinds, service=st.just("")):
    return st.builds(Typed, value=value, kind=kind, label=labels, service=service)


emails = typed(some_text.filter(lambda s: not s.lower().startswith("mailto:")))
phones = typed(some_text.filter(lambda s: not s.lower().startswith("tel:")))
urls = typed(some_text)
socials = typed(
    some_text,
    kind=st.lists(st.sampled_from(["home", "work", "pref"]), unique=True, max_size=2).map(",".join),
    service=st.sampled_from(["twitter", "linkedin", "github", "impp:xmpp", "impp:skype", "x-aim",
                             "x-icq", "x-jabber", "x-skype", "x-twitter"]),
)
birthdays = st.one_of(
    st.none(),
    st.dates().filter(lambda d: d.year != 1604).map(lambda d: Birthday(d.month, d.day, d.year)),
    st.dates(min_value=__import__("datetime").date(2000, 1, 1),
             max_value=__import__("datetime").date(2000, 12, 31)).map(lambda d: Birthday(d.month, d.day)),
)
extra_lines = st.lists(st.one_of(
    st.just("ADR;TYPE=work:;;1 Main St;Springfield;;;"),
    st.just("item9.X-ABDATE:2001-01-01"),
    st.just("PHOTO;ENCODING=b;TYPE=PNG:iVBORw0KGgo="),
    st.just("PHOTO;VALUE=uri:https://example.com/me.jpg"),
    some_text.map(lambda s: "X-CUSTOM-NOTE:" + s.replace("\\", "\\\\").replace("\n", "\\n")
                  .replace(",", "\\,").replace(";", "\\;")),
), max_size=3)

cards = st.builds(
    Card,
    display_name=some_text, given_name=text, family_name=text, additional_names=text,
    name_prefix=text, name_suffix=text, nickname=text, org=text, department=text, title=text,
    role=st.sampled_from(("",) + ROLES), note=text, birthday=birthdays, uid=text,
    emails=st.lists(emails, max_size=3), phones=st.lists(phones, max_size=3),
    urls=st.lists(urls, max_size=2), socials=st.lists(socials, max_size=3),
    categories=st.lists(some_text, unique=True, max_size=3), extra=extra_lines,
)


# --- laws ----------------------------------------------------------------------------------


def read_all(data: bytes) -> list:
    """Everything read_cards yields; FormatError is the one allowed refusal."""
    try:
        found = list(read_cards(data))
    except FormatError:
        return []
    for result in found:
        assert (result.card is None) == (result.error is not None)
        assert result.error is None or "internal error" not in result.error, result.error
    return found


@pytest.mark.parametrize("version", ["3.0", "4.0"])
@CARDS
@given(card=cards)
def test_write_then_read_round_trips_every_field(version, card):
    (result,) = read_cards(write_card(card, version).encode("utf-8"))
    assert result.card == card
    assert result.warnings == ()


@settings(max_examples=examples(5), deadline=None)
@given(many=st.lists(cards, min_size=2, max_size=3))
def test_many_cards_round_trip_in_order(many):
    text = "".join(write_card(card) for card in many)
    assert [r.card for r in read_cards(text.encode("utf-8"))] == many


@FAST
@given(data=st.binary(max_size=3000))
def test_random_bytes_never_raise_anything_but_format_error(data):
    read_all(data)


@FAST
@given(body=st.binary(max_size=2000))
def test_random_bytes_inside_a_card_never_raise(body):
    read_all(b"BEGIN:VCARD\r\nVERSION:2.1\r\n" + body + b"\r\nEND:VCARD\r\n")


@FAST
@given(lines=st.lists(st.one_of(
    st.sampled_from(["BEGIN:VCARD", "END:VCARD", "VERSION:2.1", "AGENT:", "", " ", "=", "#",
                     "FN;ENCODING=QUOTED-PRINTABLE:a=", "PHOTO;ENCODING=BASE64:", "ABCD", ":",
                     'X;A="', "N:;;;;", "BDAY:--13-45", "TEL;;;:", "item1.X-ABLabel:x"]),
    st.text(max_size=20)), max_size=30))
def test_random_vcard_shaped_lines_never_raise(lines):
    read_all("\r\n".join(lines).encode("utf-8", "surrogatepass"))


@pytest.mark.skipif(not SOURCES, reason="no fixtures")
@settings(max_examples=examples(60), deadline=None)
@given(data=st.data())
def test_mutated_real_files_never_raise(data):
    source = data.draw(st.sampled_from(SOURCE_BYTES), label="source")
    how = data.draw(st.sampled_from(["truncate", "bitflip", "drop-line", "duplicate-line"]), label="how")
    if how == "truncate":
        mutated = source[:data.draw(st.integers(0, len(source)))]
    elif how == "bitflip":
        buffer = bytearray(source)
        for _ in range(data.draw(st.integers(1, 8))):
            at = data.draw(st.integers(0, len(buffer) - 1))
            buffer[at] ^= 1 << data.draw(st.integers(0, 7))
        mutated = bytes(buffer)
    else:
        lines = source.split(b"\n")
        at = data.draw(st.integers(0, len(lines) - 1))
        if how == "drop-line":
            del lines[at]
        else:
            lines.insert(at, lines[at])
        mutated = b"\n".join(lines)
    started = time.monotonic()
    read_all(mutated)
    assert time.monotonic() - started < 5


def test_an_enormous_value_is_handled():
    huge = b"x" * (2 << 20)
    data = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Huge\r\nNOTE:" + huge + b"\r\nEMAIL:huge@example.com\r\nEND:VCARD\r\n"
    started = time.monotonic()
    (result,) = read_cards(data)
    assert len(result.card.note) == len(huge)
    assert result.card.emails == [Typed("huge@example.com")]
    again = write_card(result.card)
    assert len(again) > len(huge)
    assert time.monotonic() - started < 10


def test_an_enormous_folded_photo_is_handled():
    photo = "\r\n ".join(["QUJD" * 18] * 28000)  # ~2 MB of folded base64
    data = f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Photo\r\nPHOTO;ENCODING=b;TYPE=JPEG:{photo}\r\nEND:VCARD\r\n"
    (result,) = read_cards(data.encode("ascii"))
    (line,) = result.card.extra
    assert len(line) > 2_000_000


@CARDS
@given(card=cards)
def test_exported_cards_parse_with_vobject(card):
    vobject = pytest.importorskip("vobject")
    assume(card.display_name)
    (parsed,) = vobject.readComponents(write_card(card, "3.0"))
    assert parsed.fn.value == card.display_name


@FAST
@given(card=cards)
def test_the_journal_keeps_a_card_as_asdict_would(card):
    """crm.store.journal writes cards out by hand (for speed): the same JSON as asdict's, key order included."""
    import json
    from dataclasses import asdict

    from crm.store.journal import card_from_json, card_to_json

    assert json.dumps(card_to_json(card)) == json.dumps(asdict(card))
    assert card_from_json(card_to_json(card)) == card
