"""Hostile data on the terminal (guarantee 6) and hostile command lines (guarantee 7).

6. Names, notes and organisations from imported files (and from the command line) may hold
   ANSI escape sequences, BEL, C1 controls and bidi overrides. Whatever a command prints --
   tables, profiles, errors, JSON -- carries them escaped, never raw.
7. Random argument lists built from the real commands and their options (read from
   `crm.cli.cli`, so a new command is covered the day it is added) with junk values: the exit
   code is 0, 1 or 2, there is never a traceback, and the database stays sound.
"""
from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm.cli import cli
from fuzzing import examples

# Raw bytes a terminal acts on: C0 controls but \t and \n, DEL, C1 controls (0x9b is CSI on
# many terminals), and the bidi embeddings/overrides/isolates that reorder what is shown.
UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
HOSTILE = "Mal\x1b[2J\x1b]0;pwned\x07lory\x07 \x9b31m\u202eesrever\u202c \u2066iso\u2069 \x00\x08\x7f"
ARGV_HOSTILE = HOSTILE.replace("\x00", "")  # a real command line cannot carry a NUL byte


def unsafe_in(text: str) -> list[str]:
    return sorted({repr(m) for m in UNSAFE.findall(text.replace("\r\n", "\n"))})


def hostile_vcard() -> bytes:
    # Raw control characters in FN, NOTE, ORG, TITLE and CATEGORIES, as a crafted file would carry them.
    return (
        "BEGIN:VCARD\r\nVERSION:3.0\r\n"
        f"FN:{HOSTILE} Card\r\nN:Card;{HOSTILE};;;\r\nORG:{HOSTILE} Org\r\nTITLE:{HOSTILE}\r\n"
        f"NOTE:{HOSTILE}\\n second line {HOSTILE}\r\nEMAIL:mal@example.com\r\n"
        f"CATEGORIES:{HOSTILE},chess\r\nEND:VCARD\r\n"
    ).encode("utf-8")


def build_hostile(run):
    """A database full of hostile text, reached by every route data takes in."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        write_hostile_files(Path(folder))
        assert run("import", Path(folder) / "hostile.vcf").exit_code == 0
        assert run("import", Path(folder) / "hostile.csv").exit_code == 0
    assert run("add", f"{HOSTILE} Added", "--email", "added@example.com", "--org", f"{HOSTILE} Inc",
               "--note", HOSTILE, "--interest", HOSTILE, "--title", HOSTILE, "--url", f"https://x.example/{HOSTILE}",
               ).exit_code == 0  # (through CliRunner a NUL can be passed; it reaches the data as it would from a file)
    assert run("add", "Mallory Dupe", "--email", "mal@example.com").exit_code in (0, 1)
    if "log" in cli.commands:
        assert run("log", "added@example.com", "message", "--note", HOSTILE, "--on", "2026-01-05").exit_code == 0
    if "interview" in cli.commands:
        assert run("interview", "added@example.com", "--org", f"{HOSTILE} Corp", "--position", HOSTILE,
                   "--on", "2026-01-06").exit_code == 0
    if "offer" in cli.commands:
        assert run("offer", "add", "article", HOSTILE, "--url", f"https://x.example/{HOSTILE}", "--interest", "chess",
                   "--on", "2026-01-02").exit_code == 0


def write_hostile_files(folder: Path) -> None:
    (folder / "hostile.vcf").write_bytes(hostile_vcard())
    (folder / "hostile.csv").write_text(
        "Given Name,Family Name,E-mail 1 - Value,Organization 1 - Name,Notes\n"
        f'"{HOSTILE}",Csv,csv@example.com,"{HOSTILE} Csv Org","{HOSTILE}"\n', encoding="utf-8")


@pytest.fixture
def hostile_db(copy_of, private_database, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_hostile_files(tmp_path)  # the tests import them again, by name
    copy_of(build_hostile)
    # Straight into the database too: the renderers must not rely on the readers' clean-up.
    conn = sqlite3.connect(private_database)
    conn.execute("UPDATE contact SET notes = notes || ?, nickname = ? WHERE id = 1", ("\n" + HOSTILE, HOSTILE))
    conn.execute("UPDATE contact_method SET label = ? WHERE id = 1", (HOSTILE,))
    conn.commit()
    conn.close()
    return private_database


def test_nothing_from_data_reaches_the_terminal_unescaped(hostile_db, run, tmp_path):
    runs = [
        ["list"], ["list", "--json"], ["show", "1"], ["show", "1", "--json"], ["show", "added@example.com"],
        ["dupes", "--threshold", "0"], ["dupes", "--threshold", "0", "--json"],
        ["export", "--format", "json"], ["check"], ["check", "--json"],
        ["show", ARGV_HOSTILE],  # an error message quoting what the user typed
        ["import", f"{ARGV_HOSTILE}.vcf"],  # an error naming a file
        ["import", "hostile.vcf"],  # the import report
        ["backup", "b.db"],
        ["edit", "1", "--title", "x"],
        ["tag", "1", ARGV_HOSTILE],
    ]
    optional = {
        "history": [["history", "1"], ["history", "added@example.com", "--json"]],
        "org": [["org", f"{HOSTILE} Corp"], ["org", f"{HOSTILE} Inc", "--json"]],
        "applications": [["applications"], ["applications", "--json"]],
        "intros": [["intros"], ["intros", "--json"]],
        "offer": [["offer", "list"], ["offer", "list", "--json"]],
        "today": [["today", "--on", "2026-03-01"], ["today", "--on", "2026-03-01", "--json"]],
        "log": [["log", ARGV_HOSTILE, "message"]],
        "draft": [["draft", "added@example.com", "--on", "2026-03-01"], ["draft", "--on", "2026-03-01"]],
        "review": [["review", "--on", "2026-03-01"], ["review", "--on", "2026-03-01", "--json"]],
        "calendar": [["calendar", "--on", "2026-03-01"]],
        "snooze": [["snooze", ARGV_HOSTILE, "--days", "3"]],
        "triage": [["triage"], ["triage", "--json"]],
        "cadence": [["cadence", "1"], ["cadence", "1", "--json"]],
    }
    for name, more in optional.items():
        if name in cli.commands:
            runs += more
    for name in sorted(set(cli.commands) - {r[0] for r in runs} - {"restore", "rm", "merge", "unlog", "outcome",
                                                                  "interview", "add", "untag", "export"}):
        runs.append([name, "--help"])  # a new command is at least run; add it above to exercise it properly
    for args in runs:
        result = run(*args)
        assert result.exit_code in (0, 1, 2), (args, result.output)
        assert unsafe_in(result.stdout) == [], (args, result.stdout)
        assert unsafe_in(result.stderr) == [], (args, result.stderr)


def test_the_hostile_text_is_stored_intact_and_json_escapes_it(hostile_db, run):
    """Escaping is for display only: the data keeps every character, and JSON carries them as
    \\uXXXX escapes that a JSON reader turns back into the original."""
    import json

    shown = json.loads(run("show", "added@example.com", "--json").stdout)
    assert shown["notes"] == HOSTILE
    raw = run("show", "added@example.com", "--json").stdout
    assert "\\u001b[2J" in raw and "\\u009b" in raw and "\\u202e" in raw


def test_exports_to_a_terminal_are_escaped_but_files_keep_every_byte(hostile_db, run, tmp_path, monkeypatch):
    """vCard and CSV on stdout are for piping; when stdout is a terminal they are escaped too.
    Written to a file (-o) or a pipe, the export keeps the data exactly."""
    pytest.importorskip("crm.formats.vcard")
    import crm.cli.io

    for fmt in ("vcard", "csv"):
        piped = run("export", "--format", fmt)
        assert piped.exit_code == 0
        assert unsafe_in(piped.stdout) != []  # a pipe gets the data as it is
        with monkeypatch.context() as patched:
            patched.setattr(crm.cli.io, "_stdout_is_terminal", lambda: True)
            shown = run("export", "--format", fmt)
        assert shown.exit_code == 0
        assert unsafe_in(shown.stdout) == [], fmt
        assert run("export", "--format", fmt, "-o", f"out.{fmt}").exit_code == 0
        assert unsafe_in((tmp_path / f"out.{fmt}").read_text(encoding="utf-8")) != []


# ---- hostile command lines -------------------------------------------------------------------------


def walk(group: click.Group, path: tuple[str, ...] = ()):
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from walk(command, path + (name,))
        else:
            yield path + (name,), command


COMMANDS = list(walk(cli))

JUNK = st.sampled_from([
    "", " ", "0", "1", "2", "-1", "-0", "3.5", "1e9", "99999999999999999999999999", "-99999999999999999999",
    "9223372036854775808", "NaN", "inf", "2026-01-05", "2026-13-45", "2026-02-30", "0000-00-00", "9999-12-31",
    "2026-01-05T25:61", "today", "yesterday", "tomorrow", "-3d", "+99999d", "-99999999d", "next tuesday",
    "ünïcødé Zoë", "王小明", "³", "#²", "٣", "Ⅻ", "\x1b[2J", "\u202e", "%s%n", "{0}",
    "'; DROP TABLE contact; --",
    "a@b", "@", "#1", "#", "Bj\udcf6rn",  # (bytes that are not UTF-8 reach argv as lone surrogates)
    "ada", "ada@example.com", "Acme", "recruiter", "email", "thank-you", "article", "offer", "rejected",
    "https://example.com", "a" * 300, "-", "--", "--json", "-h",
])
# Path-like parameters only ever get names inside the test's own folder ("crm.db" is the database).
SAFE_PATHS = st.sampled_from(["out.vcf", "out.csv", "out.json", "out.ics", "b.db", "crm.db", "sub/x.db", "", "-", ".",
                              "missing.vcf", "data.vcf", "data.csv", "notes.txt"])


def value_for(param: click.Parameter):
    kind = param.type
    if isinstance(kind, click.Path) or param.name in ("path", "paths", "output"):
        return SAFE_PATHS
    if isinstance(kind, click.Choice):
        return st.one_of(st.sampled_from(list(kind.choices)), JUNK)
    if isinstance(kind, (click.types.IntParamType, click.types.FloatParamType)):
        return st.one_of(st.integers(-(2**70), 2**70).map(str), JUNK)
    return st.one_of(JUNK, st.text(st.characters(blacklist_characters="\x00"), max_size=12))


@st.composite
def command_line(draw, commands=COMMANDS) -> list[str]:
    path, command = draw(st.sampled_from(commands))
    args = list(path)
    for param in command.params:
        if isinstance(param, click.Argument):
            count = param.nargs if param.nargs > 0 else draw(st.integers(0 if not param.required else 1, 3))
            if not param.required and draw(st.booleans()):
                continue
            args += [draw(value_for(param)) for _ in range(count)]
        elif param.name in ("help", "version"):
            continue
        elif draw(st.integers(0, 2)) == 0:  # each option: mostly present
            continue
        elif param.is_flag:
            args.append(param.opts[0])
        else:
            for _ in range(draw(st.integers(1, 2)) if param.multiple else 1):
                args += [param.opts[0], draw(value_for(param))]
    if draw(st.integers(0, 9)) == 0:  # sometimes shuffle, or add an unknown option
        args = draw(st.permutations(args)) if draw(st.booleans()) else args + ["--no-such-option"]
    return args


def build_seeded(run):
    for name, email in (("Ada Lovelace", "ada@example.com"), ("Zoë Ødegård", "zoe@example.com"), ("王小明", "")):
        assert run("add", name, *(["--email", email] if email else []), "--org", "Acme", "--interest", "chess",
                   "--role", "recruiter").exit_code == 0
    if "log" in cli.commands:
        assert run("log", "ada", "thank-you", "--on", "2026-01-05").exit_code == 0
    if "interview" in cli.commands:
        assert run("interview", "ada", "--org", "Acme", "--position", "Engineer", "--on", "2026-01-06").exit_code == 0


@pytest.fixture
def seeded(copy_of, private_database, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    copy_of(build_seeded)
    (tmp_path / "data.vcf").write_bytes(b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Grace Hopper\r\nEND:VCARD\r\n")
    (tmp_path / "data.csv").write_text("Given Name,Family Name\nLinus,Pauling\n")
    (tmp_path / "notes.txt").write_text("not a database")
    return private_database


def assert_sound(db: Path) -> None:
    assert db.read_bytes()[:16] == b"SQLite format 3\x00", "the database file was replaced"
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        conn.close()


# Every command gets its own examples: drawn from the whole list, a fixed (derandomized) run of 100
# lines left a third of the commands out.
@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(path) for path, _ in COMMANDS])
@settings(max_examples=examples(4), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_command_lines_fail_cleanly(seeded, command, data):
    args = data.draw(command_line([command]), label="args")
    result = CliRunner().invoke(cli, args, catch_exceptions=True)
    assert result.exit_code in (0, 1, 2), (args, result.exit_code, result.output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), (args, repr(result.exception))
    assert "Traceback" not in result.output, (args, result.output)
    assert seeded.is_file()
    assert_sound(seeded)


# ---- what the random command lines found (each a named regression test) --------------------------


@pytest.mark.parametrize("args", [
    ["today", "--limit", "0"],  # the line the fuzzer found, acting today: an interview yesterday is due
    ["today", "--limit", "0", "--on", "2026-01-06"],  # the same as of a fixed day: Ada's thank-you is due
    ["today", "--limit", "0", "--on", "2026-01-06", "--drafts"],
])
def test_today_limit_0_with_suggestions_due_fails_cleanly(seeded, run, args):
    """`--limit` accepts 0 (IntRange(min=0), and --help says "at most N"): showing none of the
    suggestions due is a valid request, never an internal error."""
    from datetime import date, timedelta

    yesterday = (date.today() - timedelta(days=1)).isoformat()  # the test's clock, not the product's
    assert run("interview", "zoe", "--org", "Globex", "--position", "SRE", "--on", yesterday).exit_code == 0
    result = CliRunner().invoke(cli, args, catch_exceptions=True)
    assert result.exit_code in (0, 1, 2), (result.exit_code, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output and "internal error" not in result.output


def test_the_import_progress_label_is_escaped(capsys):
    """The progress bar (shown for big files on a terminal) is labelled with the file's name,
    which is data too: a file can be called anything."""
    from crm.cli.io import _Progress

    progress = _Progress(enabled=True)
    update = progress.start(Path(f"{ARGV_HOSTILE}.vcf"), b"BEGIN:VCARD\r\nFN:x\r\nEND:VCARD\r\n" * (1 << 16))
    assert update is not None
    update(1)
    progress.finish()
    shown = capsys.readouterr().err
    assert "Mal" in shown and unsafe_in(shown) == []
