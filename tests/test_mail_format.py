"""crm.formats.mail: headers from bytes, and streaming Maildir / mbox / .eml readers, on fixtures
built with Python's `mailbox` module, with the oddities real mail has."""
from __future__ import annotations

import io
import mailbox
from datetime import datetime, timezone

from hypothesis import given, settings, strategies as st

from crm.formats.mail import Message, Unreadable, iter_maildir, iter_mbox, parse_headers, read_eml

from mailbuild import ME, maildir, mbox, message, raw


def test_encoded_words_in_several_charsets_and_folded_headers():
    headers = parse_headers(raw(
        "From: =?ISO-8859-1?Q?Bj=F6rn_Lindqvist?= <bjorn@acme.example>\n"
        "To: =?utf-8?B?w4lsb2RpZSBNb3JlYXU=?= <elodie@acme.example>,\n"
        " =?KOI8-R?B?8MHXxcw=?= <pavel@x.example>\n"
        "Cc: =?Shift_JIS?B?jbKToQ==?= <kenji@y.example>\n"
        "Subject: =?utf-8?Q?R=C3=A9union?= and\n"
        " =?ISO-2022-JP?B?GyRCRnxLXBsoQg==?=\n"
        "Date: Thu, 05 Mar 2026 18:10:00 +0100\n"
        "Message-ID:\n <abc.123@acme.example>\n\n"
    ))
    assert headers.sender.name == "Björn Lindqvist"
    assert [(a.name, a.email) for a in headers.recipients] == [
        ("Élodie Moreau", "elodie@acme.example"), ("Павел", "pavel@x.example"), ("佐藤", "kenji@y.example")]
    assert headers.subject == "Réunion and 日本"
    assert headers.message_id == headers.key == "abc.123@acme.example"
    assert headers.date == datetime(2026, 3, 5, 17, 10, tzinfo=timezone.utc)
    assert headers.warnings == ()


def test_a_subject_that_is_not_utf8_is_decoded_with_a_warning():
    headers = parse_headers(b"From: a@x.example\r\nSubject: Caf\xe9 cr\xe8me\r\n\r\n")
    assert headers.subject == "Café crème"
    assert any("not UTF-8" in w for w in headers.warnings)
    utf8 = parse_headers("From: a@x.example\r\nSubject: Grüße\r\n\r\n".encode())
    assert utf8.subject == "Grüße" and utf8.warnings == ()


def test_broken_headers_are_tolerated():
    headers = parse_headers(b"From: \r\nTo: ,,, <>\r\nDate: the day after tomorrow\r\n"
                            b"Subject: =?bogus-charset?Q?x=FF?=\r\n\r\n")
    assert headers.sender is None and headers.recipients == () and headers.date is None
    assert any("Date" in w for w in headers.warnings) and any("charset" in w for w in headers.warnings)


def test_a_missing_message_id_gets_a_stable_hash_of_from_date_and_subject():
    first = parse_headers(b"From: A <a@x.example>\r\nDate: Thu, 05 Mar 2026 18:10:00 +0000\r\nSubject: Hi\r\n\r\n")
    again = parse_headers(b"From: a@X.example\r\nDate: Thu, 05 Mar 2026 18:10:00 +0000\r\nSubject: Hi\r\n\r\n")
    other = parse_headers(b"From: a@x.example\r\nDate: Thu, 05 Mar 2026 18:11:00 +0000\r\nSubject: Hi\r\n\r\n")
    assert first.message_id is None and first.key.startswith("sha256:")
    assert first.key == again.key != other.key


def test_maildir_is_read_in_place_with_new_and_cur(tmp_path):
    folder = maildir(tmp_path / "INBOX", [message("a@x.example", ME, f"m{i}", f"2026-03-0{i}T10:00") for i in (1, 2)])
    box = mailbox.Maildir(folder)
    key = next(iter(box.keys()))
    moved = box.get_message(key)
    moved.set_subdir("cur")
    moved.add_flag("S")
    box[key] = moved
    box.close()
    names_before = sorted(p.name for p in folder.rglob("*") if p.is_file())
    items = list(iter_maildir(folder))
    assert sorted(i.headers.subject for i in items) == ["m1", "m2"]
    assert sorted(p.name for p in folder.rglob("*") if p.is_file()) == names_before  # never moved or renamed


def test_mbox_streams_with_offsets_and_from_lines_in_bodies(tmp_path):
    path = mbox(tmp_path / "box", [
        message("a@x.example", ME, "one", "2026-03-01T10:00", body="From here on, it is a body line.\n\n"),
        message("b@x.example", ME, "two", "2026-03-02T10:00"),
    ])
    data = path.read_bytes()
    entries = list(iter_mbox(io.BytesIO(data)))
    assert [e.item.headers.subject for e in entries] == ["one", "two"]
    assert entries[0].end == entries[1].start and data[entries[1].start:].startswith(b"From ")
    assert entries[1].end == len(data)
    # Resuming at the second message reads only it.
    assert [e.item.headers.subject for e in iter_mbox(io.BytesIO(data), entries[1].start)] == ["two"]


def test_a_truncated_mbox_keeps_everything_before_the_cut(tmp_path):
    path = mbox(tmp_path / "box", [message("a@x.example", ME, f"m{i}", "2026-03-01T10:00") for i in range(3)])
    data = path.read_bytes()
    cut = data[: data.rindex(b"Subject: m2") + 5]  # inside the last message's headers
    items = [e.item for e in iter_mbox(io.BytesIO(cut))]
    assert [i.headers.subject for i in items[:2]] == ["m0", "m1"]
    assert isinstance(items[2], Unreadable) and "truncated" in items[2].reason


def test_gmail_takeout_mbox(tmp_path):
    takeout = (
        b"From 1759876543210987654@xxx Thu Mar 05 18:10:00 +0000 2026\n"
        b"X-GM-THRID: 1759876543210987654\nX-Gmail-Labels: Sent,Opened,Category Personal\n"
        b"From: Me <me@home.example>\nTo: bjorn@acme.example\nSubject: Thanks\n"
        b"Date: Thu, 05 Mar 2026 18:10:00 +0000\n\nBody\n\n"
        b"From 1759876543210987655@xxx Fri Mar 06 09:00:00 +0000 2026\n"
        b"X-Gmail-Labels: Inbox,Important\nFrom: bjorn@acme.example\nTo: me@home.example\nSubject: Re: Thanks\n"
        b"Message-ID: <r1@acme.example>\n\nBody\n"
    )
    items = [e.item for e in iter_mbox(io.BytesIO(takeout))]
    assert [(i.headers.sender.email, i.headers.subject) for i in items] == [
        ("me@home.example", "Thanks"), ("bjorn@acme.example", "Re: Thanks")]
    assert items[1].headers.date is None  # no Date header: the arrival time is what is left


def test_the_calendar_part_is_found_and_a_large_attachment_costs_no_memory(tmp_path):
    import base64
    import tracemalloc

    invite = b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"
    blob = base64.encodebytes(b"\0" * (2 * 1024 * 1024))  # 2 MB here (tracemalloc is slow); 20 MB: test_cli_mail.py
    (tmp_path / "big.eml").write_bytes(
        b"From: a@x.example\r\nTo: me@home.example\r\nSubject: with a calendar\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="outer"\r\n\r\n'
        b'--outer\r\nContent-Type: multipart/alternative; boundary="inner"\r\n\r\n'
        b"--inner\r\nContent-Type: text/plain\r\n\r\nSee you then.\r\n"
        b"--inner\r\nContent-Type: text/calendar; method=REQUEST\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(invite) + b"--inner--\r\n"
        b"--outer\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + blob + b"--outer--\r\n"
    )
    del blob
    tracemalloc.start()
    item = read_eml(tmp_path / "big.eml")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert isinstance(item, Message) and item.calendars == (invite,)
    assert item.headers.subject == "with a calendar"
    assert peak < 512 * 1024  # streamed: the attachment was never held


def test_an_empty_file_is_unreadable_not_an_error(tmp_path):
    (tmp_path / "empty.eml").write_bytes(b"")
    assert isinstance(read_eml(tmp_path / "empty.eml"), Unreadable)


_HEADERISH = st.lists(st.sampled_from([
    b"From: ", b"To: ", b"Cc: ", b"Subject: ", b"Date: ", b"Message-ID: ", b"From ", b"\n", b"\r\n", b" ",
    b"=?utf-8?q?", b"=?x?b?", b"?=", b"<", b">", b",", b'"', b"@", b"a", b"\xe9", b"\xff", b"--b", b"boundary=b",
    b"Content-Type: multipart/mixed; ", b"Content-Type: text/calendar\n", b"(", b")", b":", b";",
]), max_size=60).map(b"".join)


@settings(max_examples=60, deadline=None)
@given(_HEADERISH)
def test_any_bytes_read_as_headers_or_mbox_never_raise(data):
    headers = parse_headers(data)
    assert headers.key and isinstance(headers.subject, str)
    ends = [entry.end for entry in iter_mbox(io.BytesIO(b"From x\n" + data))]
    assert ends == sorted(ends) and all(end <= len(data) + 7 for end in ends)


_BODY_LINES = st.lists(st.sampled_from(["", "", "From here on", ">From there", "text", " ", "--b", "From "]),
                       max_size=8).map("\n".join)


@settings(max_examples=15, deadline=None)
@given(st.lists(_BODY_LINES, min_size=1, max_size=5))
def test_an_mbox_written_by_the_mailbox_module_reads_back_message_for_message(bodies):
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as scratch:
        path = mbox(Path(scratch) / "box", [message("a@x.example", ME, f"m{i}", "2026-03-01T10:00", body=body + "\n")
                                           for i, body in enumerate(bodies)])
        data = path.read_bytes()
    entries = list(iter_mbox(io.BytesIO(data)))
    assert [e.item.headers.subject for e in entries] == [f"m{i}" for i in range(len(bodies))]
    assert entries[-1].end == len(data)
