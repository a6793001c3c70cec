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


def replay_session(text: str) -> str:
    """README.md with its session's outputs replaced by what each command prints now (run in
    order, from the repository root, on the current CRM_DB)."""
    block = SESSION.search(text).group(1)
    steps = re.split(r"^\$ ", block, flags=re.M)[1:]
    runner = CliRunner()
    replayed = []
    old = os.getcwd()
    os.chdir(ROOT)
    try:
        for step in steps:
            command = step.partition("\n")[0]
            result = runner.invoke(cli, shlex.split(command)[1:], catch_exceptions=False)
            assert result.exit_code == 0, (command, result.output)
            replayed.append(f"$ {command}\n{result.output}")
    finally:
        os.chdir(old)
    return text.replace(block, "".join(replayed))


def test_readme_session_output_is_real():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert replay_session(text) == text, "README is out of date: run `python tests/test_readme.py`"


def test_readme_starts_with_the_two_commands_ci_runs():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"```sh\n(.*?)\n```", text, re.S)[:2]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install -e ." in commands[0] and "crm" in commands[0]
    assert commands[1].endswith(".venv/bin/pytest")
    for command in commands:
        assert command in ci, command


def test_the_readme_test_command_prints_the_summary_line():
    """`pytest` must end with "N passed": a -q in addopts would make `pytest -q` (-qq) print nothing then."""
    import tomllib

    options = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]["ini_options"]
    addopts = shlex.split(options.get("addopts", ""))
    assert not {"-q", "--quiet", "-qq", "--no-summary"} & set(addopts), addopts


if __name__ == "__main__":  # rewrite the README session with the outputs of today's code
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        os.environ["CRM_DB"] = str(Path(scratch) / "readme.db")
        readme = ROOT / "README.md"
        readme.write_text(replay_session(readme.read_text(encoding="utf-8")), encoding="utf-8")
    print("rewrote README.md")
