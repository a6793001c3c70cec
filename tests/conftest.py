"""Shared fixtures and the suite's run profiles (tests/README.md tells how to use them).

- Every test gets its own database path (`private_database`, autouse) and `run` invokes the CLI
  in-process. Databases are copied rather than made: `empty_database` and `new_database(path)`
  (a migrated template, once per session), `copy_of(build)` (a story built once per session).
  `child_env()` is for the few tests where a real process is the point.
- Hypothesis is derandomized in the default run and in CI (profile "default", also registered as
  "ci", which hypothesis picks by itself when $CI is set). `pytest -m fuzz`,
  `--hypothesis-profile=fuzz` or CRM_HYPOTHESIS_PROFILE=fuzz select the "fuzz" profile: random,
  with the example database, and `fuzzing.examples(n)` budgets multiplied by CRM_FUZZ_FACTOR.
- Temporary directories live on /dev/shm when it is there (unless PYTEST_DEBUG_TEMPROOT or
  --basetemp says otherwise): every crm command fsyncs the database when it closes it, and on a
  shared disk those waits, not the work, were most of the suite's time. Under
  PYTHONDONTWRITEBYTECODE the bytecode goes to .pytest_cache/pycache instead of nowhere.
"""
from __future__ import annotations

import os
import random
import shutil
import sys
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, settings

import fuzzing

if sys.dont_write_bytecode and sys.pycache_prefix is None:
    # PYTHONDONTWRITEBYTECODE keeps __pycache__ out of the tree; without any cache, though, every
    # run compiles crm and rewrites every test module's asserts again (seconds). Keep the bytecode
    # in pytest's own cache folder instead, beside the sources in nobody's way.
    sys.pycache_prefix = str(Path(__file__).resolve().parents[1] / ".pytest_cache" / "pycache")
    sys.dont_write_bytecode = False

# Belt and braces for "no test touches the user's real data": even a command that somehow ran
# without CRM_DB (or a child process that lost it) lands in a throwaway data and config folder.
_SANDBOX = Path(tempfile.mkdtemp(prefix="crm-tests-home-"))
os.environ["XDG_DATA_HOME"] = str(_SANDBOX / "data")
os.environ["XDG_CONFIG_HOME"] = str(_SANDBOX / "config")

_RAM = Path("/dev/shm")
if _RAM.is_dir() and os.access(_RAM, os.W_OK | os.X_OK):
    # Read lazily by pytest's tmp_path_factory, so setting it here (before any test) is enough.
    os.environ.setdefault("PYTEST_DEBUG_TEMPROOT", str(_RAM))

# Deterministic: the same examples every run (derandomize), no example database carried between
# runs, and nothing timed (no deadline, no too-slow health check) so a loaded machine cannot fail a test.
_DETERMINISTIC = dict(derandomize=True, database=None, deadline=None, print_blob=True,
                      suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("default", **_DETERMINISTIC)
settings.register_profile("ci", **_DETERMINISTIC)
# A hunt: random seeds, failures saved to .hypothesis/ and replayed first next time, more examples.
settings.register_profile("fuzz", derandomize=False, deadline=None, print_blob=True,
                          max_examples=100 * fuzzing.factor(), suppress_health_check=[HealthCheck.too_slow])


def _selects_fuzz(markexpr: str) -> bool:
    """True when -m picks fuzz tests and not the rest (`-m fuzz`, `-m "fuzz and not slow"`)."""
    if not markexpr:
        return False
    from _pytest.mark.expression import Expression

    expression = Expression.compile(markexpr)
    return expression.evaluate(lambda name, **_: name == "fuzz") and not expression.evaluate(lambda name, **_: False)


def pytest_configure(config):
    profile = (config.getoption("hypothesis_profile", None) or os.environ.get("CRM_HYPOTHESIS_PROFILE")
               or ("fuzz" if _selects_fuzz(config.option.markexpr) else None))
    if profile:
        settings.load_profile(profile)
    if fuzzing.fuzzing():
        # Set before xdist starts its workers, which inherit it and so collect the same seeds.
        os.environ.setdefault("CRM_FUZZ_SEED", str(random.SystemRandom().randrange(10**9)))


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    """Every hypothesis test is a fuzz test: `-m fuzz` runs them all (with seeded-random ones marked by hand)."""
    from hypothesis import is_hypothesis_test

    for item in items:
        if isinstance(item, pytest.Function) and is_hypothesis_test(item.obj):
            item.add_marker(pytest.mark.fuzz)


def pytest_report_header(config):
    header = (f"crm: hypothesis profile {settings.get_current_profile_name()!r}"
              f" (derandomized: {settings.default.derandomize}),"
              f" tmp under {os.environ.get('PYTEST_DEBUG_TEMPROOT', 'the system temp dir')}")
    if fuzzing.fuzzing():
        header += f"; fuzzing x{fuzzing.factor()}, CRM_FUZZ_SEED={fuzzing.run_seed()}"
    return header


@pytest.fixture(autouse=True)
def private_database(tmp_path, monkeypatch):
    """No test ever touches the user's real data: CRM_DB points into the test's tmp dir.
    The file does not exist yet: the first command creates it (use `empty_database` to skip that)."""
    path = tmp_path / "crm.db"
    monkeypatch.setenv("CRM_DB", str(path))
    monkeypatch.delenv("CRM_DEBUG", raising=False)
    # No phone region from the machine's locale: tests that want one set CRM_REGION.
    monkeypatch.delenv("CRM_REGION", raising=False)
    monkeypatch.delenv("LC_TELEPHONE", raising=False)
    for name in ("LC_ALL", "LANG"):
        if "_" in os.environ.get(name, ""):
            monkeypatch.setenv(name, "C.UTF-8")
    return path


@pytest.fixture(scope="session")
def template_database(tmp_path_factory) -> Path:
    """A migrated, empty database, made once per session: copying it costs a file copy,
    creating one costs the migrations and several fsyncs."""
    from crm.store.db import open_database
    from crm.store.models import database

    path = tmp_path_factory.mktemp("template") / "empty.db"
    db = open_database(path, applied_at="2026-01-01T00:00:00")
    db.close()
    database.initialize(None)
    return path


@pytest.fixture(scope="session")
def new_database(template_database):
    """new_database(path) -> path: a migrated, empty database at `path`, as a command would have
    created it, for the cost of a copy (a closed database is one file: its WAL was checkpointed)."""

    def make(path: Path) -> Path:
        path = Path(path)
        shutil.copyfile(template_database, path)
        os.chmod(path, 0o600)
        return path

    return make


@pytest.fixture(scope="session")
def built_database(tmp_path_factory):
    """built_database(build) -> path of a database that `build(run)` filled through the CLI, built
    once per session (keyed by the function) and then only copied. For a fixture that sets up the
    same story for many tests: the test gets its own copy, so it may change it freely.

        def _story(run):                 # module level: no fixtures, only `run`
            run("add", "Ada Lovelace")

        @pytest.fixture
        def story(copy_of, run):
            copy_of(_story)
            return run
    """
    from crm.cli import cli

    built: dict = {}
    folder = tmp_path_factory.mktemp("built")

    def get(build) -> Path:
        if build not in built:
            path = folder / f"{len(built)}-{build.__name__}.db"
            runner = CliRunner(env={"CRM_DB": str(path)})

            def invoke(*args, input=None):
                return runner.invoke(cli, [str(a) for a in args], input=input, catch_exceptions=False)

            build(invoke)
            assert not Path(f"{path}-wal").exists(), "a command left the database open"
            built[build] = path
        return built[build]

    return get


@pytest.fixture
def copy_of(built_database, private_database):
    """copy_of(build) -> private_database, now a copy of `built_database(build)`."""

    def copy(build) -> Path:
        shutil.copyfile(built_database(build), private_database)
        os.chmod(private_database, 0o600)
        return private_database

    return copy


@pytest.fixture
def empty_database(new_database, private_database) -> Path:
    """`private_database`, already created and migrated. Ask for it where creating the database
    is not what the test checks."""
    return new_database(private_database)


@pytest.fixture(scope="session")
def child_env(tmp_path_factory):
    """child_env(**extra) -> os.environ for a child Python that runs crm from this tree. Where the
    processes are the point (a kill, a race); elsewhere use `run`. The children share this run's
    bytecode cache (see the top of this file), so that each one does not compile crm again."""
    cache = sys.pycache_prefix or str(tmp_path_factory.mktemp("pycache"))
    root = str(Path(__file__).resolve().parents[1])

    def env(**extra: str) -> dict[str, str]:
        values = dict(os.environ, PYTHONPATH=root, PYTHONPYCACHEPREFIX=cache, **extra)
        values.pop("PYTHONDONTWRITEBYTECODE", None)
        return values

    return env


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


# Real CardDAV/CalDAV servers (Radicale, Xandikos), started once per session when a test asks.
from dav_servers import dav_server, radicale, xandikos  # noqa: E402,F401
