"""Every `--json` output holds to its declaration in crm/shapes.py: the exact keys at every depth,
and the type of every value that is not null. A renamed or dropped key fails here."""
from __future__ import annotations

import json
import types
import typing
from pathlib import Path

import pytest

import dav_servers
from crm import shapes

ROOT = Path(__file__).resolve().parent.parent


def conforms(value, shape, where="$") -> list[str]:
    """Where `value` departs from `shape` (a TypedDict, list[...], Optional[...], dict[str, T], a scalar)."""
    origin = typing.get_origin(shape)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(shape)
        if value is None:
            return [] if type(None) in options else [f"{where}: null"]
        (inner,) = [o for o in options if o is not type(None)]
        return conforms(value, inner, where)
    if value is None:
        return [f"{where}: null where {shape!r} is declared"]
    if origin is list:
        if not isinstance(value, list):
            return [f"{where}: {type(value).__name__}, not a list"]
        (item,) = typing.get_args(shape)
        return [p for i, v in enumerate(value) for p in conforms(v, item, f"{where}[{i}]")]
    if origin is dict:
        if not isinstance(value, dict):
            return [f"{where}: not an object"]
        _key, item = typing.get_args(shape)
        return [p for k, v in value.items() for p in conforms(v, item, f"{where}.{k}")]
    if typing.is_typeddict(shape):
        if not isinstance(value, dict):
            return [f"{where}: {type(value).__name__}, not an object"]
        hints = typing.get_type_hints(shape)
        problems = [f"{where}: missing {k!r}" for k in hints if k not in value]
        problems += [f"{where}: undeclared {k!r}" for k in value if k not in hints]
        return problems + [p for k, t in hints.items() if k in value for p in conforms(value[k], t, f"{where}.{k}")]
    if shape is int and isinstance(value, bool):
        return [f"{where}: bool, not int"]
    if not isinstance(value, shape):
        return [f"{where}: {type(value).__name__}, not {shape.__name__}"]
    return []


@pytest.fixture(scope="module")
def outputs(tmp_path_factory, radicale):
    """A small job search, and every command's --json output on it."""
    from click.testing import CliRunner

    from crm.cli import cli

    folder = tmp_path_factory.mktemp("shapes")
    env = {"CRM_DB": str(folder / "crm.db"), "CRM_CONFIG_DIR": str(folder / "config")}
    runner = CliRunner()

    def run(*args, code: int = 0, input: str | None = None) -> str:
        result = runner.invoke(cli, list(args), env=env, catch_exceptions=False, input=input)
        assert result.exit_code == code, (args, result.output)
        return result.stdout

    out: dict[str, object] = {}
    out["import"] = run("import", str(ROOT / "fixtures" / "quickstart.vcf"), "--on", "2026-03-01", "--json")
    out["interview"] = run("interview", "bjorn lindqvist", "elodie moreau", "--org", "Acme Robotics", "--position",
                           "Platform Engineer", "--on", "2026-03-05", "--reply-by", "2026-03-12",
                           "--recruiter", "chiamaka", "--json")
    out["log"] = run("log", "bjorn", "thank-you", "--via", "email", "--on", "2026-03-05T18:10", "--note", "sent",
                     "--application", "1", "--json")
    out["offer add"] = run("offer", "add", "article", "Rust at scale", "--url", "https://example.com/r",
                           "--interest", "rust", "--on", "2026-03-01", "--json")
    run("log", "elodie", "value-offer", "--offer", "1", "--on", "2026-03-06")
    run("log", "chiamaka", "message", "--inbound", "--on", "2026-03-06")
    out["add"] = run("add", "Bjorn Lindqvist", "--email", "bjorn@example.org", "--json")
    out["list"] = run("list", "--json")
    out["show"] = run("show", "elodie", "--on", "2026-03-13", "--json")
    out["history"] = run("history", "2", "--json")
    out["today"] = run("today", "--on", "2026-03-13", "--json")
    out["cadence"] = run("cadence", "2", "--json")
    out["draft"] = run("draft", "chiamaka", "--on", "2026-03-13", "--json")
    out["draft --list-templates"] = run("draft", "--list-templates", "--json")
    out["applications"] = run("applications", "--json")
    out["offer list"] = run("offer", "list", "--json")
    out["intros"] = run("intros", "--json")
    out["org"] = run("org", "acme", "--json")
    out["dupes"] = run("dupes", "--threshold", "60", "--json")
    out["review"] = run("review", "--on", "2026-03-13", "--json")
    out["triage"] = run("triage", "--json")
    namesake = json.loads(out["add"])["id"]
    run("merge", str(json.loads(out["add"])["namesakes"][0]), str(namesake), "--yes")
    out["merges"] = run("merges", "--json")
    out["check"] = run("check", "--json")
    out["backup"] = run("backup", str(folder / "b.db"), "--json")
    out["restore"] = run("restore", str(folder / "b.db"), "--json")
    run("me", "--pitch", "eight years of schedulers")
    run("me", "--pitch", "the Bazel migration", "--application", "1")
    out["brief"] = run("brief", "acme", "--on", "2026-03-04", "--json")
    out["proofread"] = run("proofread", "-", "--json", input="Thanks for the oportunity\n", code=1)
    out["me"] = run("me", "me@home.example", "--json")
    out["invite import"] = run("invite", "import", str(ROOT / "fixtures" / "invites" / "zoom-request.ics"),
                               "--position", "Data Engineer", "--json")
    sent = folder / "sent.eml"
    sent.write_bytes(b"From: me@home.example\r\nTo: Chiamaka <chiamaka@northwind.example>, x@else.example\r\n"
                     b"Subject: Checking in\r\nDate: Fri, 13 Mar 2026 09:00:00 +0000\r\nMessage-ID: <s1@home.example>"
                     b"\r\n\r\nHello\r\n")
    out["mail import"] = run("mail", "import", str(sent), "--json")
    out["relog"] = run("relog", "1", "--kind", "thank-you", "--json")
    env["CRM_REMOTE_PASSWORD"] = dav_servers.PASSWORD  # sync with a real Radicale (tests/dav_servers.py)
    book = radicale.new_collection("carddav")
    radicale.put(book + "x.vcf", "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:x\r\nFN:Bjorn Lindqvist\r\nN:Lindqvist;Bjorn;;;\r\n"
                 "EMAIL:bjorn@example.org\r\nTITLE:Staff Engineer\r\nEND:VCARD\r\n")
    run("remote", "add", "phone", book, "--kind", "carddav", "--user", dav_servers.USER)
    run("remote", "add", "tasks", radicale.new_collection("caldav"), "--kind", "caldav", "--user", dav_servers.USER)
    out["sync"] = run("sync", "--on", "2026-03-13", "--json")
    out["remote list"] = run("remote", "list", "--json")
    return {name: json.loads(text) for name, text in out.items()}


def test_every_declared_shape_is_exercised(outputs):
    assert set(outputs) == set(shapes.SHAPES)


@pytest.mark.parametrize("command", sorted(shapes.SHAPES))
def test_json_output_holds_to_its_declared_shape(outputs, command):
    value = outputs[command]
    assert value not in ([], {}), f"{command}: the scenario should produce some output to check"
    assert conforms(value, shapes.SHAPES[command]) == []


def test_the_checker_catches_a_renamed_key_and_a_changed_type():
    row = {"id": 1, "name": "Ada", "emails": [], "phones": [], "org": None, "title": None, "role": "peer",
           "interests": []}
    assert conforms([row], list[shapes.ContactRow]) == []
    renamed = {**{k: v for k, v in row.items() if k != "org"}, "organisation": None}
    assert conforms(renamed, shapes.ContactRow) == ["$: missing 'org'", "$: undeclared 'organisation'"]
    assert conforms({**row, "id": "1"}, shapes.ContactRow) == ["$.id: str, not int"]
    assert conforms({**row, "role": None}, shapes.ContactRow) == ["$.role: null where <class 'str'> is declared"]
