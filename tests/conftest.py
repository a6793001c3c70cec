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
