"""crm.store.bulk.insert_rows writes what executemany writes: the same rows, ids and conflicts."""
from __future__ import annotations

import sqlite3

import pytest
from hypothesis import given, strategies as st

from crm.store.bulk import insert_rows

_SCHEMA = (
    "CREATE TABLE t (id INTEGER PRIMARY KEY, k INTEGER NOT NULL, v TEXT, note TEXT NOT NULL DEFAULT '');"
    "CREATE UNIQUE INDEX t_k ON t (k);"
)
_SQL = {
    "plain": "INSERT INTO t (k, v, note) VALUES (?, ?, 'x')",
    "ignore": "INSERT OR IGNORE INTO t (k, v, note) VALUES (?, ?, 'x')",
    "replace": "INSERT OR REPLACE INTO t (k, v, note) VALUES (?, ?, 'x')",
}


def _table(write) -> list[tuple]:
    conn = sqlite3.connect(":memory:")
    conn.executescript(_SCHEMA)
    conn.execute("INSERT INTO t (k, v) VALUES (3, 'before')")
    write(conn)
    return conn.execute("SELECT id, k, v, note FROM t ORDER BY id").fetchall()


@given(rows=st.lists(st.tuples(st.integers(0, 40), st.one_of(st.none(), st.text(max_size=3))), max_size=120),
       conflict=st.sampled_from(["ignore", "replace"]))
def test_the_rows_ids_and_conflicts_are_those_of_a_statement_a_row(rows, conflict):
    sql = _SQL[conflict]
    assert _table(lambda conn: insert_rows(conn, sql, rows)) == _table(lambda conn: conn.executemany(sql, rows))


@given(count=st.integers(0, 100))
def test_every_row_is_written_once_in_order(count):
    rows = [(k + 10, str(k)) for k in range(count)]
    table = _table(lambda conn: insert_rows(conn, _SQL["plain"], rows))
    assert [(k, v) for _id, k, v, _note in table[1:]] == rows
    assert [i for i, *_rest in table] == list(range(1, count + 2))


def test_a_row_sqlite_refuses_fails_the_call_as_executemany_does():
    rows = [(10 + k, "a") for k in range(40)] + [(None, "b")]
    for write in (insert_rows, lambda conn, sql, rows: conn.executemany(sql, rows)):
        conn = sqlite3.connect(":memory:")
        conn.executescript(_SCHEMA)
        with pytest.raises(sqlite3.IntegrityError):
            write(conn, _SQL["plain"], rows)
