"""Commands that move contacts in and out, and find and merge duplicates."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from crm.formats.card import ROLES
from crm.cli.base import bulk_objects, cli, echo_json, json_option, on_option, parse_on, pass_db
from crm.render import clean, table

DEFAULT_DUPES_THRESHOLD = 90  # crm.identity.matching.DEFAULT_THRESHOLD, kept here so --help needs no import
PROGRESS_MIN_BYTES = 1 << 20  # files smaller than this import too fast to need a bar


class _Progress:
    """A per-file progress bar on stderr, shown only when stderr is a terminal."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.bar = None

    def start(self, path: Path, data: bytes):
        self.finish()
        if not self.enabled or len(data) < PROGRESS_MIN_BYTES:
            return None
        from crm.formats.vcard import count_hint

        self.bar = click.progressbar(
            length=max(1, count_hint(data) or data.count(b"\n")),
            label=clean(path.name), file=sys.stderr, show_pos=True,
        )
        self.bar.__enter__()
        return self.bar.update

    def finish(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


@cli.command(name="import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="Report what would change; write nothing.")
@click.option("--strict", is_flag=True, help="Fail on the first broken card and write nothing at all.")
@click.option("--format", "fmt", type=click.Choice(["vcard", "linkedin", "google", "outlook"]),
              help="Read every file as this format [default: detected from each file's content].")
@on_option("Date the imported contacts count as added [default: today].")
@json_option
@pass_db
def import_(app, paths, dry_run, strict, fmt, on, as_json):
    """Import contacts from vCard or CSV files, or folders of them.

    Reads vCard 2.1, 3.0 and 4.0 from any common client, LinkedIn's Connections.csv (each
    Connected On date becomes a `connect` touchpoint), and Google Contacts or Outlook CSV
    exports. Re-importing a file changes nothing;
    importing a newer export of the same address book updates contacts (matched by UID, email,
    then phone) instead of duplicating them. Each file is imported in one transaction.

    Example: crm import ~/Downloads/contacts.vcf --dry-run
    """
    from crm.identity.importer import import_paths

    progress = _Progress(enabled=sys.stderr.isatty() and not as_json)
    try:
        with bulk_objects():  # the index and the batches: millions of objects, none in a cycle
            report = import_paths(
                paths, app.moment(parse_on(app, on)), dry_run=dry_run, strict=strict, fmt=fmt,
                on_file=progress.start, region=app.region,
            )
    finally:
        progress.finish()
    if as_json:
        echo_json(report.as_json())
    else:
        for error in report.errors:
            where = f"card {error['card']}, line {error['line']}: " if error["card"] else ""
            click.echo(f"Error: {clean(error['file'])}: {where}{clean(error['message'])}", err=True)
        prefix = "Would import" if dry_run else "Imported"
        click.echo(
            f"{prefix} {report.cards} card(s) from {report.files} file(s): {report.created} created, "
            f"{report.updated} updated, {report.unchanged} unchanged, {report.skipped} skipped."
        )
        if report.warnings:
            click.echo(f"{len(report.warnings)} repair(s) made while reading; --json lists them.", err=True)
    if report.errors and report.created + report.updated + report.unchanged == 0:
        sys.exit(1)


def _filtered_ids(role, interest, org) -> list[int] | None:
    if not (role or interest or org):
        return None
    from crm.store.contacts import contact_ids

    return contact_ids(role=role, interest=interest, org=org)


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["vcard", "json", "csv"]), default="vcard", show_default=True)
@click.option("--vcard-version", type=click.Choice(["3.0", "4.0"]), default="3.0", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="File to write [default: stdout].")
@click.option("--role", type=click.Choice(ROLES, case_sensitive=False), help="Only contacts with this role.")
@click.option("--interest", metavar="I", help="Only contacts tagged with this interest.")
@click.option("--org", metavar="O", help="Only contacts at this organisation.")
@pass_db
def export(app, fmt, vcard_version, output, role, interest, org):
    """Export contacts as vCard, JSON or CSV.

    A file given with -o is written atomically (a temporary file renamed into place) and is
    readable by you only. CSV cells that a spreadsheet would run as a formula are neutralised.

    Example: crm export --format vcard --vcard-version 4.0 -o contacts.vcf
    """
    from crm.store.contacts import iter_cards

    rows = iter_cards(_filtered_ids(role, interest, org))
    if fmt == "vcard":
        from crm.formats.vcard import write_card

        chunks = (write_card(card, vcard_version) for _cid, card in rows)
    elif fmt == "csv":
        from crm.formats.csv_contacts import write_csv

        chunks = write_csv(rows)
    else:
        from crm.render import to_json

        chunks = iter([to_json([card_json(cid, card) for cid, card in rows]) + "\n"])
    if output is None or str(output) == "-":
        if _stdout_is_terminal():  # shown rather than piped: escape what a terminal would act on
            chunks = (clean(chunk.replace("\r\n", "\n"), keep_newlines=True) for chunk in chunks)
        for chunk in chunks:
            click.echo(chunk, nl=False)
    else:
        from crm.files import atomic_write
        from crm.store.backup import check_export_target

        check_export_target(output, app.db_path)
        atomic_write(output, chunks)  # environment errors (disk full, read-only) name their cause
        click.echo(f"Wrote {output}.", err=True)


def _stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def card_json(contact_id: int, card) -> dict:
    """One contact in `crm export --format json` (shape documented in docs/usage.md)."""
    def typed(items):
        return [{"value": t.value, "type": t.kind, "label": t.label, "service": t.service} for t in items]

    return {
        "id": contact_id,
        "name": card.display_name,
        "given_name": card.given_name,
        "family_name": card.family_name,
        "additional_names": card.additional_names,
        "prefix": card.name_prefix,
        "suffix": card.name_suffix,
        "nickname": card.nickname,
        "org": card.org,
        "department": card.department,
        "title": card.title,
        "role": card.role or "other",
        "note": card.note,
        "birthday": card.birthday.iso() if card.birthday else None,
        "uid": card.uid,
        "emails": typed(card.emails),
        "phones": typed(card.phones),
        "urls": typed(card.urls),
        "socials": typed(card.socials),
        "interests": card.categories,
        "vcard_extra": card.extra,
    }


@cli.command()
@click.option("--threshold", default=DEFAULT_DUPES_THRESHOLD, show_default=True, type=click.IntRange(0, 100),
              help="Lowest score (0-100) to report; 85 also lists namesakes at different organisations.")
@click.option("--limit", type=click.IntRange(min=1), help="Show at most N pairs.")
@json_option
@pass_db
def dupes(app, threshold, limit, as_json):
    """List likely duplicate contacts with a score and the evidence.

    Example: crm dupes --threshold 90
    """
    from crm.identity.matching import find_duplicates, load_people

    with bulk_objects():
        pairs = find_duplicates(load_people(), threshold)
    if limit:
        pairs = pairs[:limit]
    if as_json:
        echo_json([p.as_json() for p in pairs])
        return
    if not pairs:
        click.echo("No likely duplicates.", err=True)
        return
    click.echo(
        table(
            ["SCORE", "A", "B", "EVIDENCE"],
            [[p.score, f"{p.a.name} (#{p.a.id})", f"{p.b.name} (#{p.b.id})", "; ".join(p.evidence)] for p in pairs],
        )
    )
    click.echo(f"\nMerge a pair with: crm merge KEEP OTHER  (e.g. crm merge {pairs[0].a.id} {pairs[0].b.id})", err=True)


@cli.command()
@click.argument("keep")
@click.argument("other")
@click.option("--yes", "-y", is_flag=True, help="Merge without asking.")
@pass_db
def merge(app, keep, other, yes):
    """Merge OTHER into KEEP: every email, phone, interest, note and touchpoint; then delete OTHER.

    Shows what will happen and asks first (unless --yes). Every merge is journalled:
    `crm merges` lists them and `crm unmerge ID` undoes one.

    Example: crm merge 12 57 --yes
    """
    from crm.errors import InvalidInput
    from crm.identity.matching import merge_contacts, merge_preview
    from crm.store.contacts import resolve_contact

    kept, gone = resolve_contact(keep), resolve_contact(other)
    if kept.id == gone.id:
        raise InvalidInput("cannot merge a contact into itself")
    label = f"{gone.display_name} (#{gone.id})"
    if not yes:
        click.echo(f"Merge {clean(label)} into {clean(kept.display_name)} (#{kept.id}):", err=True)
        for line in merge_preview(kept.id, gone.id):
            click.echo(f"  {clean(line)}", err=True)
        if not click.confirm("Merge?", err=True):
            click.echo("Nothing merged.", err=True)
            sys.exit(1)
    entry = merge_contacts(kept.id, gone.id, app.now_iso, app.region)
    click.echo(f"Merged {clean(label)} into {clean(kept.display_name)} (#{kept.id}); undo with: crm unmerge {entry}",
               err=True)


@cli.command()
@json_option
@pass_db
def merges(app, as_json):
    """List every join of two records of one person (by `crm merge` or an import), newest last.

    Example: crm merges --json
    """
    from crm.store.journal import journal_rows

    rows = journal_rows()
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("No merges.", err=True)
        return
    click.echo(table(
        ["ID", "DATE", "KEPT", "ABSORBED", "REASON", "UNDONE"],
        [[r["id"], r["date"][:10], f"{r['kept']['name']} (#{r['kept']['id']})",
          r["absorbed"]["name"] + (f" (#{r['absorbed']['id']})" if r["absorbed"]["id"] else " (imported card)"),
          r["reason"] + (f": {r['evidence']}" if r["evidence"] else ""), (r["undone_at"] or "")[:10]]
         for r in rows],
    ))


@cli.command()
@click.argument("merge_id", metavar="ID")
@pass_db
def unmerge(app, merge_id):
    """Undo a merge: the absorbed contact comes back with what it brought.

    Its fields, emails, phones, interests, touchpoints and application roles return to it; the
    kept contact keeps any change made since. One transaction.

    Example: crm unmerge 3
    """
    from crm.store.journal import unmerge as undo
    from crm.store.touchpoints import parse_id

    kept_id, restored_id = undo(parse_id(merge_id, "a merge id"), app.now_iso, app.region)
    click.echo(f"Undid merge #{merge_id.lstrip('#')}: #{restored_id} is back beside #{kept_id}.", err=True)
