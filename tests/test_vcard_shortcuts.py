"""The vCard reader's shortcuts read what the long way reads.

It finds BEGIN:VCARD and END:VCARD lines by a pattern led by the line end: the same lines as
the ^ pattern tried at every position, in text and in UTF-8 bytes. It reads the lines of a card
that folds none, breaks none with quoted-printable and quotes no parameter without looking for
those: the same card, warnings and all, as looking."""
from __future__ import annotations

from hypothesis import example, given, strategies as st

from crm.formats.vcard import text as vt
from crm.formats.vcard.read import (
    _BOUNDARY, _BOUNDARY_AFTER_LF, _BOUNDARY_AFTER_LF_BYTES, _BOUNDARY_BYTES, Segment, _boundaries, _parse_card,
)

_PIECES = ["BEGIN:VCARD", "END:VCARD", "begin : vcard ", "BEG\u0130N:VCARD", "BEG\u0131N:VCARD", "\n", "\n\n",
           "FN:x", " ", "\t", "END:VCARD\t", "xEND:VCARD", "BEGIN:VCARDx", "\r\n", "\r", "é"]


@given(st.lists(st.sampled_from(_PIECES), max_size=14).map("".join))
@example("BEGIN:VCARD\nEND:VCARD\nBEGIN:VCARD\nEND:VCARD")
@example("\nBEGIN:VCARD")
def test_the_boundary_lines_are_those_the_caret_pattern_finds(text):
    expected = [(m.start(), m.end(), m.group(1)) for m in _BOUNDARY.finditer(text)]
    assert list(_boundaries(text, _BOUNDARY, _BOUNDARY_AFTER_LF)) == expected
    data = text.encode()
    expected = [(m.start(), m.end(), m.group(1)) for m in _BOUNDARY_BYTES.finditer(data)]
    assert list(_boundaries(data, _BOUNDARY_BYTES, _BOUNDARY_AFTER_LF_BYTES)) == expected


_LINES = ["FN:Ada Lovelace", "N:Lovelace;Ada;;;", "EMAIL;TYPE=work:ada@example.org", "TEL:+44 20 7946 0000",
          " continued", "\tcontinued", "NOTE;ENCODING=QUOTED-PRINTABLE:caf=C3=A9=", "=C3=A9 end", "NOTE:ends with =",
          "  lead=  ", 'X-A;LABEL="a:b":c', "ORG:Initech;R&D", "item1.URL:https://ex.org", "item1.X-ABLabel:Blog",
          "", "not a property", "PHOTO;ENCODING=b:QUJD", "QUJD", "AGENT:", "BEGIN:VCARD", "FN:Agent", "END:VCARD"]


def _read_both(text: str):
    """The card read by the reader, and read looking for every fold, soft break and quote."""
    segment = Segment(1, 1, 2, text, (), vt.clean_file())
    fast = segment.read()
    warnings: list[str] = []
    try:
        slow = (_parse_card(text.split("\n"), 2, vt.clean_file(), warnings), tuple(warnings))
    except Exception as exc:  # noqa: BLE001 - a card the reader refuses: refused alike
        slow = (None, type(exc).__name__)
    return (fast.card, fast.warnings) if fast.card is not None else (None, "_Broken"), slow


@given(st.lists(st.sampled_from(_LINES), min_size=1, max_size=10).map("\n".join))
@example("NOTE;ENCODING=QUOTED-PRINTABLE:caf=C3=A9=\n=C3=A9 end")  # a soft break, nothing folded
@example("  NOTE;ENCODING=QUOTED-PRINTABLE:caf=  \n=C3=A9 end")  # stripped, then a soft break
@example('EMAIL;X-NOTE="a:b":ada@example.org\nFN:x')  # the value after the quoted colon
def test_a_card_is_read_alike_with_the_shortcuts_and_without(text):
    fast, slow = _read_both(text)
    assert fast == slow
