"""Long listings: JSON streamed one record at a time, tables through a pager on a terminal."""
from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
from datetime import date

import pytest

from crm.render import json_chunks, table, table_lines, to_json

HOSTILE = ["plain", "é ü 株式会社 🙂", "quote \" back \\ slash", "new\nline\ttab", "\x1b[2J", "\x9b", "\u2028\u202e",
           "\x00\x7f"]


@pytest.mark.parametrize("data", [
    [],
    [{}],
    [[]],
    [1, None, True, False, -3, 2.5],
    [{"id": n, "name": HOSTILE[n % len(HOSTILE)], "emails": HOSTILE[:n % 4], "phones": [], "org": None,
      "nested": {"a": [{"b": HOSTILE}], "c": {}}, "day": date(2026, 3, 2)} for n in range(40)],
])
def test_the_streamed_json_is_byte_identical_to_the_whole(data):
    assert "".join(json_chunks(data)) == to_json(data)
    assert "".join(json_chunks(iter(data))) == to_json(data)


def test_records_of_changing_shapes_stream_as_the_whole():
    # One template per run of records with the same keys: a change of keys, keys that need
    # escaping (a % too), non-string keys, members a template does not take, past a block of 256.
    odd = [{"%s \"k\"": 1, "b": [1, "x", None]}, {1: "a", 2: [True]}, {"a": ("t", "u"), "b": [[], {}]},
           {"a": True, "b": False, "c": 2.5}, {"a": [], "b": ["%d", "%%"]}, ["a"], "s", None]
    data = [{"id": n, "name": HOSTILE[n % len(HOSTILE)], "tags": HOSTILE[: n % 5]} for n in range(300)]
    data[150:150] = odd
    data += odd
    assert "".join(json_chunks(data)) == to_json(data) == json_dumps_reference(data)


def test_sqlite_string_arrays_are_read_as_json_loads_reads_them():
    import sqlite3

    from crm.store.contacts import _strings

    conn = sqlite3.connect(":memory:")
    values = HOSTILE + ["", '","', "\\", "a\",\"b", "🙂" * 3]
    for size in range(len(values) + 1):
        for start in range(len(values)):
            chosen = (values[start:] + values[:start])[:size]
            conn.execute("CREATE TEMP TABLE t (v TEXT NOT NULL)")
            conn.executemany("INSERT INTO t VALUES (?)", [(v,) for v in chosen])
            (array,) = conn.execute("SELECT json_group_array(v) FROM (SELECT v FROM t ORDER BY rowid)").fetchone()
            conn.execute("DROP TABLE t")
            assert _strings(array) == json.loads(array) == chosen


def json_dumps_reference(data) -> str:
    """What to_json wrote with json.dumps's own indenting encoder: the text it must keep."""
    import re

    text = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    return re.sub(r"[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]", lambda m: f"\\u{ord(m.group()):04x}", text)


@pytest.mark.parametrize("data", [
    [], {}, "text", 3, None, 2.5, [{}], {"a": []},
    {"k": HOSTILE, 1: "int key", "nested": [{"x": {"y": [1, True, None, 2.5, date(2026, 3, 2)]}}, [], {}]},
    [{"id": n, "name": HOSTILE[n % len(HOSTILE)], "list": HOSTILE[: n % 5]} for n in range(30)],
])
def test_to_json_is_byte_identical_to_json_dumps(data):
    assert to_json(data) == json_dumps_reference(data)


class Record(dict):
    pass


@pytest.mark.parametrize("data", [
    # Lists of records sharing their keys (a column at a time), and lists of ids.
    {"ids": list(range(-3, 40)), "big": [2**70, 0], "bools": [1, True, 0, False], "one": [7]},
    [{"touch": n, "on": "2026-03-02", "contact": n % 7, "offer": n * 3} for n in range(50)],
    {"nested": {"deeper": [{"id": n, "name": HOSTILE[n % len(HOSTILE)]} for n in range(20)]}},
    # Columns of several types, or of types the template does not take as they are.
    [{"a": HOSTILE[n % len(HOSTILE)] if n % 3 else None, "b": [n, {"c": n}] if n % 2 else 2.5, "t": n % 2 == 0,
      "%s \"k\"": n} for n in range(12)],
    [{"x": 1, "y": 2}, {"y": 2, "x": 1}],  # same keys, another order
    [{"x": 1}, {"x": 1, "y": 2}], [{"x": 1}, Record(x=2)], [{"x": 1}, ["x"]], [{"x": 1}, {}], [{1: "a"}, {1: "b"}],
    [{"x": [[], {}]}, {"x": ()}], [{"x": date(2026, 3, 2)}, {"x": "2026-03-02"}],
])
def test_records_and_ids_encode_as_json_dumps_does(data):
    assert to_json(data) == json_dumps_reference(data)


def test_table_lines_is_the_table_and_is_lazy():
    rows = [[n, HOSTILE[n % len(HOSTILE)] * (n % 3), "Acme"] for n in range(50)]
    assert "\n".join(table_lines(["ID", "NAME", "ORG"], rows, sample=None)) == table(["ID", "NAME", "ORG"], rows)
    assert "\n".join(table_lines(["ID", "NAME", "ORG"], rows, sample=1000)) == table(["ID", "NAME", "ORG"], rows)

    def endless():
        n = 0
        while True:
            n += 1
            if n > 30:
                raise AssertionError("read past what the first screen needs")
            yield [n, f"Person {n}"]

    lines = table_lines(["ID", "NAME"], endless(), sample=10)
    first = [next(lines) for _ in range(12)]  # header, rule, 10 rows: without reading it all
    assert first[0].split() == ["ID", "NAME"] and first[2].split() == ["1", "Person", "1"]


def test_list_json_is_streamed_from_one_query(run, monkeypatch):
    from crm.store import contacts

    for n in range(5):
        run("add", f"Person {n}", "--email", f"p{n}@example.org", "--role", "mentor")
    run("tag", "Person 3", "zeta", "Alpha")
    rows = contacts.iter_contact_rows()
    assert not isinstance(rows, list) and next(rows)["name"] == "Person 0"
    listed = json.loads(run("list", "--json").stdout)
    assert [r["name"] for r in listed] == [f"Person {n}" for n in range(5)]
    assert listed[3]["interests"] == ["Alpha", "zeta"] and listed[3]["emails"] == ["p3@example.org"]
    assert json.loads(run("list", "--json", "--interest", "alpha").stdout) == [listed[3]]


def hostile_book(run):
    """Contacts whose every field holds text JSON must escape, in lists of 0, 1 and 2 items."""
    from crm.store.models import database

    for n, text in enumerate(HOSTILE):
        run("add", f"{text} {n}", *(["--org", text] if n % 2 else []), "--role", ("mentor", "other")[n % 2],
            *(["--email", f"p{n}@example.org"] * (n % 3 > 0)), *(["--email", f"q{n}@example.org"] * (n % 3 > 1)))
        if n % 3:
            run("tag", f"#{n + 1}", f"t{n}", "Alpha")
    database.execute_sql("UPDATE contact SET title = ? WHERE id % 3 = 0", (HOSTILE[3] + HOSTILE[4],))
    database.execute_sql("UPDATE contact SET title = '' WHERE id % 3 = 1")
    database.execute_sql("INSERT INTO contact_method (contact_id, medium, value, norm) VALUES (2, 'phone', ?, ?)",
                         (HOSTILE[2], "x"))
    database.execute_sql("INSERT INTO contact_method (contact_id, medium, value, norm) VALUES (3, 'email', ?, ?)",
                         (HOSTILE[6], "y"))


def test_the_json_listing_sqlite_writes_is_the_one_python_would(run, monkeypatch):
    """`crm list --json` takes SQLite's text of each record (json_quote and ||) where the probe
    finds SQLite quoting as Python's json does: the same bytes as encoding the rows in Python,
    filters included, and the same when the probe says no."""
    from crm.render import json_record, json_records
    from crm.store import contacts

    hostile_book(run)
    if not contacts._sqlite_quotes_as_python():
        pytest.skip("this SQLite's json_quote differs from Python's json: crm list takes the Python path")
    for filters in ({}, {"role": "mentor"}, {"interest": "alpha"}, {"org": HOSTILE[1]}):
        rows = list(contacts.iter_contact_rows(**filters))
        by_sqlite = [text for (text,) in contacts._listing(contacts._json_listing(), None, None, None)] \
            if not filters else list(contacts.iter_contact_json(**filters))
        assert by_sqlite == [json_record(row) for row in rows]
        assert "".join(json_records(by_sqlite)) == to_json(rows)
    listed = run("list", "--json").stdout
    assert listed == to_json(list(contacts.iter_contact_rows())) + "\n"
    assert len(json.loads(listed)) == len(HOSTILE)
    monkeypatch.setattr(contacts, "_sqlite_quotes_as_python", lambda: False)
    assert run("list", "--json").stdout == listed


def test_json_records_writes_the_listing_as_json_chunks_does():
    from crm.render import json_record, json_records

    for data in ([], [{"id": 1}], [{"a": HOSTILE, "b": None}] * 300):
        assert "".join(json_records(map(json_record, data))) == "".join(json_chunks(data)) == to_json(data)


def test_the_listing_reads_emails_and_phones_from_the_index_alone(run):
    """m010's covering index: each contact's emails and phones, in order, with no sort and no
    visit to the contact_method table (a quarter of the listing query at 100k contacts)."""
    from crm.store.contacts import _LISTING
    from crm.store.models import database

    run("add", "Person", "--email", "b@example.org", "--email", "a@example.org", "--phone", "+44 20 7946 0000")
    plan = [row[3] for row in database.execute_sql("EXPLAIN QUERY PLAN " + _LISTING.format(where=""))]
    methods = [step for step in plan if " m " in f" {step} "]
    assert methods == ["SEARCH m USING COVERING INDEX contact_method_listing (contact_id=? AND medium=?)"] * 2
    assert sum("TEMP B-TREE" in step for step in plan) == 1  # the interests' sort by name alone
    listed = json.loads(run("list", "--json").stdout)
    assert listed[0]["emails"] == ["b@example.org", "a@example.org"] and len(listed[0]["phones"]) == 1


# ---- the pager, on a real pseudo-terminal ------------------------------------------------------


def on_a_terminal(args: list[str], env: dict, timeout: float = 20) -> tuple[int, str]:
    """Run crm with standard output on a pseudo-terminal; (exit code, what reached the terminal)."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "crm", *args], stdout=follower, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, env=env)
    os.close(follower)
    out = b""
    while True:
        ready, _, _ = select.select([leader], [], [], timeout)
        if not ready:
            proc.kill()
            raise AssertionError("crm did not finish on the terminal")
        try:
            data = os.read(leader, 65536)
        except OSError:  # the terminal closed: crm and its pager are done
            break
        if not data:
            break
        out += data
    os.close(leader)
    code = proc.wait(timeout)
    assert proc.stderr is not None and b"Traceback" not in proc.stderr.read()
    return code, out.decode("utf-8", "replace").replace("\r\n", "\n")


@pytest.fixture
def book(tmp_path, private_database):
    from crm.store.db import open_database

    db = open_database(private_database)
    with db.atomic():
        db.connection().executemany(
            "INSERT INTO contact (display_name, name_key, created_at, updated_at) VALUES (?, ?, ?, ?)",
            ((f"Person {n:04d}", f"person {n:04d}", "2026-01-01T00:00:00", "2026-01-01T00:00:00")
             for n in range(3000)),
        )
    db.close()
    env = dict(os.environ, CRM_DB=str(private_database))
    env.pop("LESS", None)
    env.pop("PAGER", None)
    return env


def test_a_listing_on_a_terminal_goes_through_the_pager(book, tmp_path):
    seen = tmp_path / "paged.txt"
    pager = f"{sys.executable} -c \"import os, sys; open({str(seen)!r}, 'w').write(os.environ.get('LESS', '') + '|' + sys.stdin.read())\""
    code, shown = on_a_terminal(["list"], dict(book, CRM_PAGER=pager))
    assert code == 0 and "Person 0001" not in shown  # the pager got it, not the terminal
    less, text = seen.read_text().split("|", 1)
    assert less == "FRX"  # as git: quit when it fits, keep colours, leave the screen alone
    lines = text.splitlines()
    assert lines[0].split() == ["ID", "NAME", "ORG", "ROLE", "EMAIL", "INTERESTS"] and len(lines) == 3002
    # PAGER is the fallback; CRM_PAGER wins over it.
    code, _ = on_a_terminal(["list"], dict(book, PAGER=pager.replace("paged.txt", "other.txt")))
    assert code == 0 and (tmp_path / "other.txt").exists()


def test_no_pager_and_pipes_print_straight(book, tmp_path):
    seen = tmp_path / "paged.txt"
    pager = f"{sys.executable} -c \"open({str(seen)!r}, 'w')\""
    code, shown = on_a_terminal(["--no-pager", "list"], dict(book, CRM_PAGER=pager))
    assert code == 0 and "Person 2999" in shown and not seen.exists()
    code, shown = on_a_terminal(["list"], dict(book, CRM_PAGER=""))
    assert code == 0 and "Person 2999" in shown
    piped = subprocess.run([sys.executable, "-m", "crm", "list"], env=dict(book, CRM_PAGER=pager),
                           capture_output=True, text=True, check=True)
    assert "Person 2999" in piped.stdout and not seen.exists()


def test_quitting_the_pager_early_is_not_an_error(book):
    pager = f"{sys.executable} -c \"import sys; sys.stdin.readline()\""  # reads one line, then quits
    code, _ = on_a_terminal(["list"], dict(book, CRM_PAGER=pager))
    assert code == 0
