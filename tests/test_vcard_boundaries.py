"""The reader finds BEGIN:VCARD and END:VCARD lines by a pattern led by the line end: the same
lines as the ^ pattern tried at every position, in text and in UTF-8 bytes."""
from __future__ import annotations

from hypothesis import example, given, strategies as st

from crm.formats.vcard.read import (
    _BOUNDARY, _BOUNDARY_AFTER_LF, _BOUNDARY_AFTER_LF_BYTES, _BOUNDARY_BYTES, _boundaries,
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
