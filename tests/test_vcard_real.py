"""The reader against real vCard files from Apple, Google, Outlook, Android, BlackBerry,
Evolution, Thunderbird, XING, DAVx5 and others, checked against their EXPECTED.json.

The files live outside the repository (../shared/vcards-real, or $CRM_REAL_VCARDS); without
them every test here is skipped.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from crm.formats.vcard import read_cards, write_card


def real_dir() -> Path | None:
    env = os.environ.get("CRM_REAL_VCARDS")
    folder = Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "vcards-real"
    return folder if (folder / "EXPECTED.json").is_file() else None


REAL = real_dir()
EXPECTED: dict[str, dict] = json.loads((REAL / "EXPECTED.json").read_text("utf-8")) if REAL else {}
FILES = sorted(EXPECTED) or ["(no real vCards)"]

QP_RUN = re.compile(r"=[0-9A-F]{2}(?![0-9A-Fa-f])")  # "ext=5555" is not QP
MOJIBAKE = re.compile("Ã.|Â.|â€|\ufffd")


@pytest.fixture(params=FILES)
def real(request):
    if REAL is None:
        pytest.skip("no real vCards (../shared/vcards-real or $CRM_REAL_VCARDS)")
    name = request.param
    return name, EXPECTED[name], list(read_cards((REAL / name).read_bytes()))


def test_every_card_is_found(real):
    name, expected, results = real
    assert len(results) == expected["cards"]
    assert [r.index for r in results] == list(range(1, len(results) + 1))
    assert all(r.card is not None or r.error for r in results)


def test_every_listed_email_is_on_a_good_card(real):
    name, expected, results = real
    emails = {t.value.lower() for r in results if r.card for t in r.card.emails}
    assert set(expected["emails"]) <= emails


def test_listed_names_are_exact(real):
    name, expected, results = real
    names = {r.card.display_name for r in results if r.card}
    for wanted in expected.get("names", []):
        assert wanted in names


def test_no_encoding_residue_in_names_or_text(real):
    name, expected, results = real
    for result in results:
        if result.card is None:
            continue
        c = result.card
        for text in (c.display_name, c.given_name, c.family_name, c.additional_names, c.nickname,
                     c.org, c.department, c.title, c.note):
            assert "\\:" not in text and "\\," not in text and "\\;" not in text, text
            assert not MOJIBAKE.search(text), text
        for text in (c.display_name, c.given_name, c.family_name, c.org):
            assert not QP_RUN.search(text), text
        assert c.display_name.strip()


def test_extra_lines_are_single_clean_content_lines(real):
    name, expected, results = real
    for result in results:
        for line in result.card.extra if result.card else []:
            assert "\n" not in line and "\r" not in line
            assert not re.search(r"ENCODING=QUOTED-PRINTABLE|CHARSET=", line, re.I), line
            assert re.match(r"(?:[A-Za-z0-9-]+\.)?[A-Za-z0-9-]+[;:]", line), line


@pytest.mark.parametrize("version", ["3.0", "4.0"])
def test_export_then_import_gives_the_same_cards(real, version):
    name, expected, results = real
    good = [r.card for r in results if r.card]
    again = list(read_cards("".join(write_card(c, version) for c in good).encode("utf-8"))) if good else []
    assert [r.card for r in again] == good
