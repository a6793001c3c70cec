"""The root `crm` group, the per-invocation context, and the error boundary.

This is the only layer that reads the clock and the environment: commands turn `--on` (or
"now") into explicit dates and pass them down.
"""
from __future__ import annotations

import gc
import os
import sqlite3
import sys
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable, Iterator

import click
import peewee

from crm.errors import CrmError, InvalidInput, StorageError, environment_error

INTERNAL_ERROR_EXIT = 70  # EX_SOFTWARE: a bug in crm, not a problem with the input


class App:
    """What every command needs: the database (opened on first use) and the current moment."""

    def __init__(self, db_path: Path | None, pager: bool = True):
        self._db_path = db_path
        self.pager = pager  # False: --no-pager
        self._db = None
        self.now = datetime.now().replace(microsecond=0)

    @property
    def db_path(self) -> Path:
        if self._db_path is None:
            from crm.store.db import default_path

            self._db_path = default_path()
        return self._db_path

    def open_db(self, sweep: bool = True):
        """Open (creating and migrating if needed) the database and bind the models to it.

        Commands that read or write records get this through `@pass_db`; the few that handle
        the file itself (backup, restore, check) call it only when they need to."""
        if self._db is None:
            from crm.store.db import open_database

            self._db = open_database(self.db_path, applied_at=self.now_iso, region=self.region)
            if sweep:
                self.sweep_leftovers()
        return self._db

    @property
    def region(self) -> str | None:
        """Where national phone numbers are dialled (ISO 3166, e.g. "GB"): `CRM_REGION`, else the
        country of the locale (LC_ALL, LC_TELEPHONE, LANG: "en_GB.UTF-8" -> "GB"), else none."""
        return region_from_env(os.environ)

    def sweep_leftovers(self) -> list[Path]:
        """Remove the temporary files a killed crm run left beside the database, and say so."""
        from crm.files import remove_files, stale_temp_files

        path = self.db_path
        removed = remove_files(stale_temp_files(path.parent, path.name))
        if removed:
            from crm.render import clean

            click.echo(f"Note: removed {len(removed)} temporary file(s) left by an interrupted crm run "
                       f"({clean(removed[0].name)}{', ...' if len(removed) > 1 else ''}).", err=True)
        return removed

    def close(self) -> None:
        if self._db is not None and not self._db.is_closed():
            self._db.close()

    @property
    def today(self) -> date:
        return self.now.date()

    @property
    def now_iso(self) -> str:
        return self.now.isoformat(timespec="seconds")

    def moment(self, on: date | None) -> str:
        """The created/updated stamp for a write made "on" a given day (now, if none given)."""
        if on is None or on == self.today:
            return self.now_iso
        return datetime.combine(on, datetime.min.time()).isoformat(timespec="seconds")


def region_from_env(env) -> str | None:
    import re

    explicit = env.get("CRM_REGION", "").strip().upper()
    if explicit:
        if not re.fullmatch(r"[A-Z]{2}", explicit):
            raise InvalidInput(f"CRM_REGION must be a two-letter country code such as GB, not {explicit!r}")
        return explicit
    for name in ("LC_ALL", "LC_TELEPHONE", "LANG"):
        found = re.match(r"[a-z]{2,3}_([A-Z]{2})\b", env.get(name, ""))
        if found:
            return found.group(1)
    return None


pass_app = click.make_pass_decorator(App)


def pass_db(func: Callable) -> Callable:
    """`@pass_app`, with the database opened and the models bound before the command runs:
    the one place a command says it works on the records."""
    import functools

    @functools.wraps(func)
    def with_database(app: App, *args, **kwargs):
        app.open_db()
        return func(app, *args, **kwargs)

    return pass_app(with_database)


class _Commands(dict):
    """A group's commands that loads its command modules the first time it is read whole
    (`crm.cli.COMMANDS` names them); adding a command, as the decorators do, loads nothing."""

    def __init__(self, load_all: Callable[[], None]):
        super().__init__()
        self._load_all = load_all

    def _whole(self) -> "_Commands":
        self._load_all()
        return self

    def __iter__(self):
        return dict.__iter__(self._whole())

    def __len__(self) -> int:
        return dict.__len__(self._whole())

    def __contains__(self, name) -> bool:
        return dict.__contains__(self._whole(), name)

    def __getitem__(self, name):
        return dict.__getitem__(self if dict.__contains__(self, name) else self._whole(), name)

    def get(self, name, default=None):
        return dict.get(self if dict.__contains__(self, name) else self._whole(), name, default)

    def keys(self):
        return dict.keys(self._whole())

    def values(self):
        return dict.values(self._whole())

    def items(self):
        return dict.items(self._whole())


def terminal_columns() -> int:
    """`shutil.get_terminal_size().columns`, the same answer (COLUMNS, else the terminal of
    standard output, else 80) without importing shutil: shutil loads zlib, bz2 and lzma, a few
    milliseconds of the ~10 that `crm --help` may cost beyond importing click and peewee."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns or 80
        except (AttributeError, ValueError, OSError):
            columns = 80
    return columns


class HelpFormatter(click.HelpFormatter):
    """click's formatter, its width worked out as click does but by `terminal_columns`."""

    def __init__(self, indent_increment: int = 2, width: int | None = None, max_width: int | None = None):
        if width is None:
            width = click.formatting.FORCED_WIDTH
            if width is None:
                width = max(min(terminal_columns(), 80 if max_width is None else max_width) - 2, 50)
        super().__init__(indent_increment, width, max_width)


class Context(click.Context):
    formatter_class = HelpFormatter


class CrmGroup(click.Group):
    """Runs commands inside the error boundary: our errors become one line and an exit code.

    With `lazy_commands`, a command's module is imported only when that command is asked for,
    and the help lists them from the table without importing any."""

    context_class = Context
    _package: str = ""
    _table: dict[str, tuple[str, str]] = {}
    _loading = False

    def lazy_commands(self, package: str, table: dict[str, tuple[str, str]]) -> None:
        """Commands named in `table` (name -> (module in `package`, summary)) load on demand."""
        self._package, self._table = package, table
        known = dict(self.commands)
        self.commands = _Commands(self._load_all)
        dict.update(self.commands, known)

    def _load(self, name: str) -> click.Command | None:
        import importlib

        if not dict.__contains__(self.commands, name) and name in self._table:
            importlib.import_module(f"{self._package}.{self._table[name][0]}")
            for command in dict.values(self.commands):  # what that module registered, groups complete
                attach_contact_completion(command)
        return dict.get(self.commands, name)

    def _load_all(self) -> None:
        if self._loading:
            return
        self._loading = True
        try:
            for name in self._table:
                self._load(name)
        finally:
            self._loading = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        if not self._table:
            return super().list_commands(ctx)
        return sorted(set(self._table) | set(dict.keys(self.commands)))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if not self._table:
            return super().get_command(ctx, cmd_name)
        return self._load(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """click's listing, from the table's summaries (the same text, nothing imported)."""
        if not self._table:
            return super().format_commands(ctx, formatter)
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            if name in self._table:
                # A bare command with the same summary shortens it exactly as click would the real one.
                rows.append((name, click.Command(name, help=self._table[name][1]).get_short_help_str(limit)))
            else:  # registered by hand, not in the table
                command = dict.get(self.commands, name)
                if command is not None and not command.hidden:
                    rows.append((name, command.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CrmError as exc:
            fail(exc.message, exc.exit_code)
        except (sqlite3.DatabaseError, peewee.DatabaseError) as exc:
            cause = real_cause(exc)
            problem = environment_error(cause, "database error")
            if problem:
                fail(problem.message, problem.exit_code)
            if "could not decode to utf-8" in str(cause).lower():
                fail("the database holds text that is not valid UTF-8 (a hand edit?); "
                     "run crm check, then crm check --repair", StorageError.exit_code)
            fail(f"database error: {cause}", StorageError.exit_code)
        except OSError as exc:
            problem = environment_error(exc, f"cannot use {exc.filename}" if exc.filename else "file error")
            if problem:
                fail(problem.message, problem.exit_code)
            fail(f"file error: {exc.strerror or exc}" + (f" ({exc.filename})" if exc.filename else ""), 1)
        except KeyboardInterrupt:
            fail("interrupted; nothing was written by the unfinished step", 130)
        except BrokenPipeError:
            sys.stderr.close()  # output piped to `head`: not an error worth a word
            sys.exit(0)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException, SystemExit):
            raise
        except Exception as exc:  # a bug: still one line, never a traceback in front of a user
            if os.environ.get("CRM_DEBUG"):
                raise
            if isinstance(exc, OverflowError):  # a huge --days or id, a date past year 9999
                fail("a number or date given is out of range", InvalidInput.exit_code)
            if isinstance(exc, UnicodeEncodeError) and "surrogate" in exc.reason:
                # Bytes in argv that are not UTF-8 reach Python as lone surrogates; SQLite refuses them.
                fail("an argument is not valid UTF-8 text (is the terminal's encoding UTF-8?)", InvalidInput.exit_code)
            fail(f"internal error ({type(exc).__name__}: {exc}); run with CRM_DEBUG=1 for details", INTERNAL_ERROR_EXIT)
        finally:
            app = ctx.find_object(App)
            if app is not None:
                app.close()


def real_cause(exc: BaseException) -> BaseException:
    """The error that started it: peewee wraps sqlite3's (`orig`), and when SQLite has already
    rolled a transaction back itself (disk full), the ROLLBACK that follows fails with "cannot
    rollback - no transaction is active", hiding the first error in `__context__`."""
    seen = 0
    while seen < 10:
        seen += 1
        inner = getattr(exc, "orig", None)
        if isinstance(inner, BaseException):
            exc = inner
            continue
        if "no transaction is active" in str(exc) and isinstance(exc.__context__, (sqlite3.Error, peewee.DatabaseError)):
            exc = exc.__context__
            continue
        break
    return exc


def fail(message: str, code: int = 1) -> None:
    from crm.render import clean

    click.echo(f"Error: {clean(message)}", err=True)
    sys.exit(code)


@click.group(cls=CrmGroup, invoke_without_command=True,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="CRM_DB",
    help="Database file [env: CRM_DB; default: the platform's user data dir, e.g. ~/.local/share/crm/crm.db].",
)
@click.option("--no-pager", "no_pager", is_flag=True,
              help="Do not page long listings [env: CRM_PAGER, then PAGER; default: less -FRX].")
@click.version_option(package_name="crm", prog_name="crm")
@click.pass_context
def cli(ctx: click.Context, db_path: Path | None, no_pager: bool) -> None:
    """A personal networking CRM for job seekers.

    Keep the people you meet while job hunting (recruiters, interviewers, mentors) in one
    local database, log every touch, and ask `crm today` whom to nudge, why, and with what.

    Example: crm import contacts.vcf && crm today
    """
    ctx.obj = App(db_path, pager=not no_pager)
    if ctx.invoked_subcommand is None:  # plain `crm`: show what it can do, as --help does
        click.echo(ctx.get_help())


# ---- shared options and parsers --------------------------------------------------------------


def json_option(func: Callable) -> Callable:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON (documented, stable shape).")(func)


def sender_option(func: Callable) -> Callable:
    """`--from NAME` (env CRM_NAME): the name a draft is signed with (`crm draft`, `crm today --drafts`)."""
    return click.option(
        "--from", "sender", metavar="NAME", envvar="CRM_NAME",
        help="Sign drafts with this name [env: CRM_NAME; default: no signature line].",
    )(func)


def on_option(help_text: str = "Act as of this date (YYYY-MM-DD, today, yesterday, -Nd) [default: today].") -> Callable:
    return click.option("--on", "on", metavar="DATE", default=None, help=help_text)


def parse_on(app: App, value: str | None) -> date:
    from crm.dates import parse_date

    return app.today if value is None else parse_date(value, app.today)


def echo_json(data: Any) -> None:
    from crm.render import to_json

    click.echo(to_json(data))


def echo_streamed(chunks: Iterator[str], buffer: int = 1 << 16) -> None:
    """Write text made a piece at a time (a streamed listing), in blocks, then a newline."""
    pending: list[str] = []
    size = 0
    for chunk in chunks:
        pending.append(chunk)
        size += len(chunk)
        if size >= buffer:
            click.echo("".join(pending), nl=False)
            pending, size = [], 0
    click.echo("".join(pending))


@contextmanager
def bulk_objects() -> Iterator[None]:
    """Pause the cyclic garbage collector while hundreds of thousands of small objects are made
    (`today`'s snapshot and suggestions, `dupes`' contacts, keys and candidate sets): none is in
    a reference cycle, and the collector would walk the growing heap again and again (a third
    of `crm today`'s time with 100k contacts, as of `crm dupes`')."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


@contextmanager
def paged(app: App) -> Iterator[Callable[[str], None]]:
    """Somewhere to write a long listing's lines: a pager when standard output is a terminal,
    as git does (CRM_PAGER, then PAGER, else `less` with LESS=FRX: it quits at once when all fits
    on one screen, keeps colours, leaves the screen as it was); standard output otherwise, or
    with --no-pager, or when the pager is set to '' or 'cat'. The pager shows the first screen
    while the rest is still being written; quitting it early stops the writing quietly."""
    import shlex
    import subprocess

    command = os.environ.get("CRM_PAGER", os.environ.get("PAGER", "less"))
    if not app.pager or not sys.stdout.isatty() or command.strip() in ("", "cat"):
        yield lambda line: click.echo(line)
        return
    env = dict(os.environ)
    env.setdefault("LESS", "FRX")
    try:
        pager = subprocess.Popen(shlex.split(command), stdin=subprocess.PIPE, env=env,
                                 encoding="utf-8", errors="replace")
    except (OSError, ValueError):  # no such pager: print as if there were none
        yield lambda line: click.echo(line)
        return
    stdin = pager.stdin
    assert stdin is not None

    def write(line: str) -> None:
        stdin.write(line + "\n")

    try:
        yield write
    except BrokenPipeError:
        pass  # the pager was quit before the end
    finally:
        try:
            stdin.close()
        except BrokenPipeError:
            pass
        pager.wait()


def secret(variables: tuple[str, ...], prompt: str, missing: str) -> str:
    """A password: the first of `variables` set in the environment, else asked on the terminal
    (no echo), else InvalidInput(`missing`). Never stored, never printed."""
    for variable in variables:
        if os.environ.get(variable):
            return os.environ[variable]
    if not sys.stdin.isatty():
        raise InvalidInput(missing)
    return click.prompt(prompt, hide_input=True, err=True)


def positive(name: str, value: int | None) -> int | None:
    if value is not None and value <= 0:
        raise InvalidInput(f"{name} must be a positive number, not {value}")
    return value


# ---- shell completion ---------------------------------------------------------------------

CONTACT_PARAMS = frozenset({"contact", "contacts", "keep", "other", "recruiter", "for_contact", "introduce"})


def complete_contact(ctx: click.Context, param: click.Parameter, incomplete: str) -> list:
    """Contact names for shell completion, read straight from the database (never created here)."""
    import sqlite3

    from click.shell_completion import CompletionItem

    from crm.text import fold

    root = ctx.find_root()
    path = root.params.get("db_path")
    if path is None:
        from crm.store.db import default_path

        path = default_path()
    if not Path(path).exists():
        return []
    key = fold(incomplete)
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = conn.execute(
                "SELECT display_name, name_key FROM contact WHERE name_key LIKE ? ESCAPE '\\'"
                " OR name_key LIKE ? ESCAPE '\\' ORDER BY name_key LIMIT 50",
                (_like(key) + "%", "% " + _like(key) + "%"),
            ).fetchall()
        finally:
            conn.close()
    except sqlite3.Error:
        return []
    return [CompletionItem(shell_safe(name)) for name, _key in rows]


def shell_safe(value: str) -> str:
    """A completion value the shell can take back as one word. zsh (compadd) and fish escape
    what they insert; bash inserts COMPREPLY verbatim, so for bash the value comes quoted:
    "Björn Lindqvist" -> 'Björn Lindqvist', "O'Neil" -> 'O'"'"'Neil'."""
    import shlex

    if os.environ.get("_CRM_COMPLETE", "").startswith("bash"):
        return shlex.quote(value)
    return value


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def attach_contact_completion(command: click.Command) -> None:
    """Every CONTACT-like argument or option of a command (and of a group's commands)
    completes contact names."""
    for param in command.params:
        if param.name in CONTACT_PARAMS:
            param._custom_shell_complete = complete_contact
    if isinstance(command, click.Group) and not isinstance(command, CrmGroup):
        for sub in command.commands.values():
            attach_contact_completion(sub)
