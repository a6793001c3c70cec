"""Many rows into one table in few statements: an import's batches.

`executemany` runs its statement once a row: SQLite opens the table's and each index's cursor,
checks the transaction and binds the row, every time. One INSERT with many VALUES rows does that
once for all of them, and writes the same rows in the same order, each given the id one row at a
time would get (one more than the largest) and each meeting its conflict clause (OR IGNORE,
OR REPLACE) against the rows before it in the same statement as it would against rows written
by statements before it. Measured on an import's batches, SQLite's work is a third less.

The difference: should a row fail (a constraint, a value SQLite refuses), the statement's other
rows are not written either. A batch that fails is undone whole by its writer anyway.
"""
from __future__ import annotations

import sqlite3
from typing import Sequence

# Rows a statement at most: 32 rows of the widest batch (a contact, 22 values) bind 704
# parameters, far below SQLite's limit (32,766 since 3.32, 999 before). Smaller groups are
# halves of it, so a table's batches share six statements of prepared SQL at most.
_MOST = 32
_STATEMENTS: dict[tuple[str, int], str] = {}


def insert_rows(conn: sqlite3.Connection, sql: str, rows: Sequence[tuple]) -> None:
    """Run `sql`, an INSERT with one VALUES row, for each of `rows`, as few statements each
    holding 32, 16, ... 1 of them."""
    done, count = 0, len(rows)
    while done < count:
        size = _MOST
        while size > count - done:
            size >>= 1
        if size == 1:
            conn.execute(sql, rows[done])
        else:
            statement = _STATEMENTS.get((sql, size))
            if statement is None:
                head, _, values = sql.partition(" VALUES ")
                assert values, "an INSERT ... VALUES statement"
                statement = _STATEMENTS[sql, size] = f"{head} VALUES {','.join([values] * size)}"
            conn.execute(statement, [value for row in rows[done:done + size] for value in row])
        done += size
