"""Shared fixtures: every test gets its own database; `run` invokes the CLI in-process."""
from __future__ import annotations

import pytest
from click.testing import CliRunner


@pytest.fixture(autouse=True)
def private_database(tmp_path, monkeypatch):
    """No test ever touches the user's real data: CRM_DB points into the test's tmp dir."""
    path = tmp_path / "crm.db"
    monkeypatch.setenv("CRM_DB", str(path))
    monkeypatch.delenv("CRM_DEBUG", raising=False)
    return path


@pytest.fixture
def run():
    """run("add", "Ada", "--json") -> click Result (exit_code, stdout, stderr, output)."""
    from crm.cli import cli

    runner = CliRunner()

    def invoke(*args, input=None):
        return runner.invoke(cli, [str(a) for a in args], input=input, catch_exceptions=False)

    return invoke


@pytest.fixture
def row_counts(private_database):
    """row_counts() -> {table: rows} for every table: assert a failed command wrote nothing."""
    import sqlite3

    def count() -> dict[str, int]:
        if not private_database.exists():
            return {}
        conn = sqlite3.connect(private_database)
        try:
            tables = [name for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
            return {name: conn.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0] for name in tables}
        finally:
            conn.close()

    return count


@pytest.fixture
def db_dump(private_database):
    """db_dump() -> the whole database as SQL text: stricter than row counts (catches updates too)."""
    import sqlite3

    def dump() -> str:
        if not private_database.exists():
            return ""
        conn = sqlite3.connect(private_database)
        try:
            return "\n".join(conn.iterdump())
        finally:
            conn.close()

    return dump


@pytest.fixture(scope="session")
def dovecot_server():
    """A real Dovecot on 127.0.0.1 for the session (tests/dovecot.py). Without Dovecot the IMAP
    tests skip, saying what to install; with CI set, a missing server fails them instead."""
    import os

    import dovecot

    if dovecot.find_binary() is None:
        reason = "IMAP tests need a real Dovecot: apt-get install dovecot-imapd"
        if os.environ.get("CI"):
            pytest.fail(f"CI is set, so this is a failure, not a skip: {reason}")
        pytest.skip(reason)
    server = dovecot.start()
    yield server
    dovecot.stop(server)
