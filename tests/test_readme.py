"""The README's session shows real output: each `$ crm ...` line is replayed in order."""
from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

from click.testing import CliRunner

from crm.cli import cli

ROOT = Path(__file__).resolve().parents[1]
SESSION = re.compile(r"```console\n(\$ crm .*?)```", re.S)


def test_readme_session_output_is_real():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = SESSION.search(text).group(1)
    steps = re.split(r"^\$ ", block, flags=re.M)[1:]
    runner = CliRunner()
    old = os.getcwd()
    os.chdir(ROOT)
    try:
        for step in steps:
            command, _, expected = step.partition("\n")
            result = runner.invoke(cli, shlex.split(command)[1:], catch_exceptions=False)
            assert result.exit_code == 0, (command, result.output)
            assert result.output == expected, command
    finally:
        os.chdir(old)


def test_readme_starts_with_the_two_commands_ci_runs():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"```sh\n(.*?)\n```", text, re.S)[:2]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install -e ." in commands[0] and "crm" in commands[0]
    assert commands[1].endswith(".venv/bin/pytest")
    for command in commands:
        assert command in ci, command
