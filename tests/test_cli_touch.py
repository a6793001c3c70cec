"""crm log, history, unlog through the CLI: the log, its JSON, and every failure path."""
from __future__ import annotations

import difflib
import json
import os
import re
import shlex
from pathlib import Path

import pytest


def add(run, *args) -> int:
    result = run("add", *args)
    assert result.exit_code == 0, result.output
    return int(result.stdout.strip())


def log(run, *args) -> int:
    result = run("log", *args)
    assert result.exit_code == 0, result.output
    return int(result.stdout.strip())


def history(run, contact) -> list[dict]:
    result = run("history", contact, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_log_prints_the_id_and_history_has_the_documented_shape(run):
    ada = add(run, "Ada Lovelace", "--email", "ada@example.com")
    touch = log(run, "ada", "thank-you", "--via", "email", "--on", "2026-03-02T18:05", "--note", "after round 1")
    assert run("log", "ada", "check-in", "--on", "2026-03-05", "--json").stdout.strip() == '{\n  "id": 2\n}'
    assert history(run, str(ada)) == [
        {"id": touch, "on": "2026-03-02T18:05", "kind": "thank-you", "via": "email", "direction": "out",
         "note": "after round 1", "offer": None, "application": None},
        {"id": 2, "on": "2026-03-05", "kind": "check-in", "via": None, "direction": "out", "note": None,
         "offer": None, "application": None},
    ]
    logged = run("log", "1", "call", "--inbound", "--on", "2026-03-06T09:00")
    assert logged.stdout == "3\n" and logged.stderr == "Logged call from Ada Lovelace (#1) on 2026-03-06T09:00.\n"


def test_inbound_is_recorded_as_in(run):
    add(run, "Ada Lovelace")
    log(run, "ada", "message", "--inbound", "--via", "linkedin", "--on", "2026-03-04")
    [touch] = history(run, "ada")
    assert touch["direction"] == "in" and touch["via"] == "linkedin"


def test_history_is_oldest_first_and_a_back_dated_entry_takes_its_own_place(run):
    add(run, "Ada Lovelace")
    log(run, "ada", "call", "--on", "2026-03-10")
    log(run, "ada", "message", "--on", "2026-03-05T09:30")
    log(run, "ada", "note", "--on", "2026-03-05")  # typed last, dated first
    log(run, "ada", "meeting", "--on", "2026-03-05T08:00")
    assert [t["kind"] for t in history(run, "ada")] == ["note", "meeting", "message", "call"]
    text = run("history", "ada").stdout
    assert text.index("note") < text.index("meeting") < text.index("call")


def test_on_defaults_to_the_current_minute_and_accepts_relative_dates(run):
    from datetime import date, datetime, timedelta

    add(run, "Ada Lovelace")
    before = datetime.now().replace(second=0, microsecond=0)
    log(run, "ada", "call")
    log(run, "ada", "call", "--on", "yesterday")
    stamps = sorted(t["on"] for t in history(run, "ada"))
    assert stamps[0] == (date.today() - timedelta(days=1)).isoformat()
    logged = datetime.fromisoformat(stamps[1])
    assert len(stamps[1]) == 16 and before <= logged <= datetime.now()


def test_kind_and_channel_are_case_insensitive(run):
    add(run, "Ada Lovelace")
    log(run, "ada", "Thank-You", "--via", "In-Person", "--on", "2026-03-02")
    [touch] = history(run, "ada")
    assert (touch["kind"], touch["via"]) == ("thank-you", "in-person")


def test_log_links_an_offer_and_an_application(run):
    add(run, "Ada Lovelace", "--interest", "chess")
    add(run, "Bob Byte")
    assert run("interview", "bob", "--org", "Acme", "--position", "Engineer", "--on", "2026-03-01").exit_code == 0
    offer = int(run("offer", "add", "article", "Chess openings", "--interest", "chess").stdout)
    log(run, "ada", "value-offer", "--offer", offer, "--application", "acme", "--on", "2026-03-03")
    [touch] = history(run, "ada")
    assert touch["offer"] == offer and touch["application"] == 1
    [listed] = json.loads(run("offer", "list", "--json").stdout)
    assert listed["given_to"] == [{"id": 1, "name": "Ada Lovelace", "on": "2026-03-03"}]
    assert "offer #1" in run("history", "ada").stdout


def test_unlog_removes_one_entry_and_takes_back_a_given_offer(run, row_counts):
    add(run, "Ada Lovelace", "--interest", "chess")
    offer = int(run("offer", "add", "article", "Chess openings", "--interest", "chess").stdout)
    keep = log(run, "ada", "call", "--on", "2026-03-01")
    gone = log(run, "ada", "value-offer", "--offer", offer, "--on", "2026-03-02")
    result = run("unlog", gone)
    assert result.exit_code == 0, result.output
    assert result.stderr == "Removed #2: value-offer on 2026-03-02 with Ada Lovelace (#1).\n"
    assert [t["id"] for t in history(run, "ada")] == [keep]
    assert json.loads(run("offer", "list", "--json").stdout)[0]["given_to"] == []
    assert run("unlog", "#1").exit_code == 0 and row_counts()["touchpoint"] == 0


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["log", "nobody at all", "call"], 1, "Error: no contact matches 'nobody at all'"),
        (["log", "ada", "call"], 1, "Error: 'ada' matches more than one contact. Did you mean: "),
        (["log", "99", "call"], 1, "Error: no contact has id 99"),
        (["log", "Ada Lovelace", "thanks"], 2,
         "Error: unknown kind 'thanks' (did you mean thank-you?); choose one of:"),
        (["log", "Ada Lovelace", "call", "--via", "pigeon"], 2, "Error: unknown channel 'pigeon'; choose one of:"),
        (["log", "Ada Lovelace", "call", "--on", "2026-02-30"], 2, "Error: bad date '2026-02-30'"),
        (["log", "Ada Lovelace", "call", "--on", "2026-03-01T25:00"], 2, "Error: bad date '2026-03-01T25:00'"),
        (["log", "Ada Lovelace", "call", "--offer", "7"], 1, "Error: no offer has id 7"),
        (["log", "Ada Lovelace", "call", "--offer", "seven"], 2, "Error: an offer id must be a number"),
        (["log", "Ada Lovelace", "call", "--application", "42"], 1, "Error: no application has id 42"),
        (["log", "Ada Lovelace", "call", "--application", "Initech"], 1,
         "Error: no organisation with an application matches 'Initech'"),
        (["unlog", "99"], 1, "Error: no touchpoint has id 99"),
        (["unlog", "one"], 2, "Error: a touchpoint id must be a number, not 'one'"),
        (["history", "nobody at all"], 1, "Error: no contact matches"),
    ],
)
def test_failures_say_one_line_and_write_nothing(run, row_counts, db_dump, args, code, message):
    add(run, "Ada Lovelace")
    add(run, "Ada Byron")
    log(run, "Ada Lovelace", "call", "--on", "2026-03-01")
    before, dump = row_counts(), db_dump()
    result = run(*args)
    assert result.exit_code == code, result.output
    assert result.stderr.startswith(message), result.stderr
    assert result.stderr.count("\n") == 1 and result.stdout == ""
    assert row_counts() == before and db_dump() == dump


def test_deleting_a_contact_removes_its_log_and_keeps_the_rest(run, row_counts):
    add(run, "Ada Lovelace")
    add(run, "Bob Byte")
    log(run, "ada", "call", "--on", "2026-03-01")
    log(run, "bob", "call", "--on", "2026-03-01")
    assert run("rm", "ada", "--yes").exit_code == 0
    assert row_counts()["touchpoint"] == 1
    assert [t["kind"] for t in history(run, "bob")] == ["call"]


def test_merge_moves_the_log_to_the_kept_contact(run):
    add(run, "Ada Lovelace", "--email", "ada@example.com")
    add(run, "A. Lovelace", "--email", "ada@work.example")
    log(run, "ada@example.com", "call", "--on", "2026-03-05")
    log(run, "ada@work.example", "thank-you", "--on", "2026-03-01", "--inbound")
    assert run("merge", "1", "2", "--yes").exit_code == 0
    assert [(t["on"], t["kind"], t["direction"]) for t in history(run, "1")] == [
        ("2026-03-01", "thank-you", "in"), ("2026-03-05", "call", "out"),
    ]
    assert run("history", "2").exit_code == 1


def test_the_cli_choices_match_the_library():
    from crm.store import applications
    from crm.store import offers
    from crm.store import touchpoints
    from crm.cli import touch

    assert touch.TOUCH_KINDS == touchpoints.KINDS
    assert touch.CHANNELS == touchpoints.CHANNELS
    assert touch.RESULTS == applications.RESULTS
    assert touch.OFFER_KINDS == offers.KINDS


def test_every_command_has_an_example(run):
    for args in (["log"], ["history"], ["unlog"], ["interview"], ["outcome"], ["applications"], ["offer", "add"],
                 ["offer", "list"], ["intros"], ["org"]):
        result = run(*args, "--help")
        assert result.exit_code == 0 and "Example:" in result.stdout, args


def test_command_modules_stay_cheap_to_import():
    import subprocess
    import sys

    probe = (
        "import sys\nimport crm.cli\n"
        "heavy = [m for m in ('rapidfuzz', 'vobject', 'imapclient', 'crm.capture.mail', 'crm.store.graph', 'crm.views.profile') if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


# ---- docs/usage.md: the walkthrough's outputs are what the commands print ------------------------

ROOT = Path(__file__).resolve().parents[1]
USAGE = ROOT / "docs" / "usage.md"
CONSOLE_BLOCK = re.compile(r"```console\n\$ (crm [^\n]*)\n(.*?)```", re.S)
JQ_PICK = re.compile(r"^(crm .*?) \| jq '\{([\w, ]+)\}'$")


def replay_usage(text: str) -> str:
    """docs/usage.md with every `crm` block's output replaced by what the command prints now,
    run in order on the current (empty) CRM_DB from the repository root. `| jq '{a, b}'` is
    the one filter used; it is emulated so the test needs no jq."""
    from click.testing import CliRunner

    from crm.cli import cli
    from crm.render import to_json

    runner = CliRunner()

    def replace(match: re.Match) -> str:
        command = match.group(1)
        picked = JQ_PICK.match(command)
        args = shlex.split(picked.group(1) if picked else command)[1:]
        result = runner.invoke(cli, args, catch_exceptions=False)
        output = result.output
        if picked:
            data = json.loads(result.stdout)
            output = to_json({key.strip(): data[key.strip()] for key in picked.group(2).split(",")}) + "\n"
        if result.exit_code:
            output += f"[exit {result.exit_code}]\n"
        return f"```console\n$ {command}\n{output}```"

    old_cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        return CONSOLE_BLOCK.sub(replace, text)
    finally:
        os.chdir(old_cwd)


def test_the_usage_walkthrough_shows_real_output():
    text = USAGE.read_text(encoding="utf-8")
    replayed = replay_usage(text)
    if replayed != text:
        diff = "".join(difflib.unified_diff(text.splitlines(True), replayed.splitlines(True), "docs/usage.md",
                                            "replayed", n=1))
        pytest.fail(f"docs/usage.md is out of date; run `python tests/test_cli_touch.py`:\n{diff[:3000]}")


if __name__ == "__main__":  # rewrite docs/usage.md with the outputs of today's code
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        os.environ["CRM_DB"] = str(Path(scratch) / "usage.db")
        USAGE.write_text(replay_usage(USAGE.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"rewrote {USAGE}")
