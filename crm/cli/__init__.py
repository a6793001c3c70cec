"""The `crm` command line: a thin click skin over the library.

Each module in this package adds its commands to the root group `cli` (defined in
`crm.cli.base`) by decorating them with `@cli.command()`. Importing a command module must stay
cheap: vobject and rapidfuzz are imported inside the commands that need them.

`COMMANDS` names the module of every command and its one-line summary, so that `crm --help`
imports no command module and `crm today` only the one it runs (the way git keeps start-up
cheap); `cli.commands` still loads them all for whoever walks the whole tree. A test holds the
table to the commands themselves: a new command adds its line here.
"""
from __future__ import annotations

from crm.cli.base import cli

# name -> (module in crm.cli, the first paragraph of its help)
COMMANDS: dict[str, tuple[str, str]] = {
    'add': ('contacts', 'Add a contact and print its id.'),
    'applications': ('touch', 'List applications with their stage, rounds, people and dates.'),
    'backup': ('safety', 'Copy the database to PATH (a file, or a folder to get a dated file in it).'),
    'brief': ('interviews', 'Brief yourself before an interview round: the people, the position, the timeline, what to ask.'),
    'cadence': ('cadence', 'Set how often to keep in touch with a contact, in days (without DAYS: show it).'),
    'calendar': ('cadence', 'Write the coming suggestions as an iCalendar file (one all-day event each).'),
    'check': ('safety', 'Check the database for damage and inconsistencies; exit 1 if there are any.'),
    'demo': ('demo', 'Fill an empty database with a small, realistic job search, then try `crm today`.'),
    'draft': ('everyday', 'Draft a short, polite message for the touch `crm today` suggests for CONTACT.'),
    'dupes': ('io', 'List likely duplicate contacts with a score and the evidence.'),
    'edit': ('contacts', 'Change contacts: set fields, add emails, phones, URLs and interests (the same to each).'),
    'export': ('io', 'Export contacts as vCard, JSON or CSV.'),
    'history': ('touch', "Show a contact's log, oldest first."),
    'import': ('io', 'Import contacts from vCard or CSV files, or folders of them.'),
    'interview': ('touch', 'Record an interview round with one or more interviewers; print the application id.'),
    'intros': ('touch', 'Suggest introductions: pairs who share interests and have no known link yet.'),
    'invite': ('mail', 'Interview invites (.ics) into interview rounds.'),
    'list': ('contacts', 'List contacts, optionally filtered.'),
    'log': ('touch', 'Log a touch with a contact and print its id.'),
    'mail': ('mail', 'Log touches from your mail: Maildir, mbox, .eml files or an IMAP folder.'),
    'me': ('me', 'Store or list what crm knows about you: your email addresses and your pitch.'),
    'merge': ('io', 'Merge OTHER into KEEP: every email, phone, interest, note and touchpoint; then delete OTHER.'),
    'merges': ('io', 'List every join of two records of one person (by `crm merge` or an import), newest last.'),
    'offer': ('touch', 'Things of value you can give: articles, introductions, congratulations, events, resources.'),
    'org': ('touch', 'Show who you know at an organisation, in what role, and when you last spoke.'),
    'outcome': ('touch', 'Record how an application ended: offer, hired, rejected, withdrawn or closed.'),
    'pause': ('cadence', 'Never suggest anything for a contact, until `crm resume`.'),
    'proofread': ('everyday', 'Check a text you wrote (or edited from a draft) for typos; exit 1 if any word is flagged.'),
    'relog': ('mail', 'Change the kind of a logged touch (one mail import guessed wrong, say).'),
    'remote': ('sync', 'CardDAV address books and CalDAV calendars to sync with.'),
    'restore': ('safety', 'Replace the database with the backup at PATH, keeping the current one as a copy.'),
    'resume': ('cadence', 'Undo `crm pause` (and any snooze): the contact gets suggestions again.'),
    'review': ('everyday', 'Review your last weeks in numbers: touches, replies, offers given, who is going cold, applications.'),
    'rm': ('contacts', 'Delete a contact and its history.'),
    'show': ('contacts', 'Show one contact and everything around it.'),
    'snooze': ('cadence', 'Suggest nothing for a contact until a date (their suggestions come back on that day).'),
    'sync': ('sync', 'Sync contacts with CardDAV remotes and put nudges on CalDAV calendars.'),
    'tag': ('contacts', 'Tag a contact with interests.'),
    'today': ('cadence', 'Who to nudge today, why, and with what: the suggestions due, best first.'),
    'triage': ('contacts', 'List contacts still without a role (`other`), most promising first, to set roles in bulk.'),
    'unlog': ('touch', 'Remove a mistaken entry from the log.'),
    'unmerge': ('io', 'Undo a merge: the absorbed contact comes back with what it brought.'),
    'untag': ('contacts', 'Remove interest tags from a contact.'),
}

cli.lazy_commands(__name__, COMMANDS)


def main() -> None:
    cli(prog_name="crm")


__all__ = ["cli", "main", "COMMANDS"]
