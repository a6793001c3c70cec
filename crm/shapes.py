"""The stable `--json` shapes of every listing and report, in one place.

Scripts rely on these: a key is never renamed or removed, and a key's type never changes
(new keys may be added at the end). Each command's JSON is declared here as a TypedDict; the
code that builds it is annotated with the same type, and tests/test_shapes.py runs every
command with `--json` and holds its output to the declaration: the exact keys, at every depth,
and the type of every value that is not null. docs/cli.md links here.

`SHAPES` maps each command to the shape of its output (a list of rows, or one object).
"""
from __future__ import annotations

from typing import Optional, TypedDict

# ---- small parts shared by several shapes ---------------------------------------------------


class ContactRef(TypedDict):
    id: int
    name: str


class ContactOrgRef(TypedDict):
    id: int
    name: str
    org: Optional[str]


class ApplicationRef(TypedDict):
    id: int
    org: str
    position: Optional[str]


class OfferRef(TypedDict):
    id: int
    kind: str
    title: str
    url: Optional[str]


class IdOnly(TypedDict):
    id: int


# ---- contacts ------------------------------------------------------------------------------


class ContactRow(TypedDict):
    """`crm list --json`: one per contact."""

    id: int
    name: str
    emails: list[str]
    phones: list[str]
    org: Optional[str]
    title: Optional[str]
    role: str
    interests: list[str]


class TypedValue(TypedDict):
    value: str
    type: Optional[str]
    label: Optional[str]


class InterestNote(TypedDict):
    name: str
    note: Optional[str]


class TouchRow(TypedDict):
    """`crm history --json`: one per touch, newest first."""

    id: int
    on: str
    kind: str
    via: Optional[str]
    direction: str
    note: Optional[str]
    offer: Optional[int]
    application: Optional[int]


# "as" (the parts they play: "recruiter", "interviewer") is a Python keyword, hence this syntax.
ContactApplication = TypedDict("ContactApplication", {
    "id": int, "org": str, "position": Optional[str], "stage": str, "as": list[str], "rounds": list[int],
})


class OfferGiven(TypedDict):
    id: int
    kind: str
    title: str
    url: Optional[str]
    on: str


class OfferToGive(TypedDict):
    id: int
    kind: str
    title: str
    url: Optional[str]
    on: str
    meant_for_them: bool
    shared_interests: list[str]


class Introduction(TypedDict):
    id: int
    name: str
    org: Optional[str]
    shared_interests: list[str]


class Suggestion(TypedDict):
    """`crm today --json`: one per suggestion, best first."""

    contact: ContactOrgRef
    action: str
    due: str
    overdue_days: int
    reason: str
    offer: Optional[OfferRef]
    application: Optional[ApplicationRef]


class NextTouch(Suggestion):
    on: str
    summary: str


class KeepWarm(TypedDict):
    """A contact's keep-warm state (`crm show --json`'s "keep_warm")."""

    paused: bool
    snoozed_until: Optional[str]
    cadence_days: Optional[int]
    interval_days: Optional[int]
    source: Optional[str]  # "own", "role", or null (not on keep-warm)
    role_inferred: bool  # the role was read from the title at import; `crm edit --role` clears it


class Profile(TypedDict):
    """`crm show --json`: one contact and everything around them."""

    id: int
    name: str
    given_name: str
    family_name: str
    nickname: Optional[str]
    org: Optional[str]
    department: str
    title: str
    role: str
    emails: list[TypedValue]
    phones: list[TypedValue]
    urls: list[TypedValue]
    socials: list[TypedValue]
    birthday: Optional[str]  # YYYY-MM-DD, or --MM-DD without a year
    notes: Optional[str]
    interests: list[InterestNote]
    uid: Optional[str]
    created_at: str
    updated_at: str
    applications: list[ContactApplication]
    history: list[TouchRow]
    offers_given: list[OfferGiven]
    offers_to_give: list[OfferToGive]
    introductions: list[Introduction]
    next: Optional[NextTouch]
    keep_warm: KeepWarm


# ---- the cadence -----------------------------------------------------------------------------


class Cadence(TypedDict):
    """`crm cadence CONTACT --json`."""

    contact: ContactRef
    role: str
    cadence_days: Optional[int]
    interval_days: Optional[int]
    source: Optional[str]  # "own", "role", or null (not on keep-warm)
    paused: bool
    snoozed_until: Optional[str]
    next: Optional[NextTouch]


class Draft(TypedDict):
    """`crm draft CONTACT --json`."""

    contact: ContactRef
    action: str
    on: str
    suggested: bool
    reason: Optional[str]
    template: str
    overridden: bool
    text: str
    handwritten: bool  # a thank-you card
    address: Optional[list[str]]  # a card's envelope lines, their name first; null when unknown
    check: Optional[list[Typo]]  # with --check: the flagged words; else null


class Typo(TypedDict):
    """`crm proofread --json`: one per flagged word, in order (and `check` in `crm draft --check --json`)."""

    word: str
    line: int
    column: int
    offset: int
    suggestions: list[str]


class TemplateFile(TypedDict):
    action: str
    file: str
    overridden: bool


class Templates(TypedDict):
    """`crm draft --list-templates --json`."""

    directory: str
    templates: list[TemplateFile]


# ---- interviews, offers, the network ----------------------------------------------------------


class RoundRow(TypedDict):
    number: int
    on: str
    reply_by: Optional[str]
    interviewers: list[int]
    cancelled: bool  # its invite was cancelled (docs/mail.md)


class TimelineRow(TypedDict):
    """A timeline they stated: on `stated_on`, "we will reply by `reply_by`"."""

    stated_on: str
    reply_by: str
    contact: Optional[int]  # who said it (`crm log --reply-by`); null from `crm interview`


class ApplicationRow(TypedDict):
    """`crm applications --json`: one per application."""

    id: int
    org: str
    position: Optional[str]
    stage: str
    rounds: list[RoundRow]
    recruiter: Optional[int]
    reply_by: Optional[str]
    outcome: Optional[str]
    outcome_on: Optional[str]
    outcome_note: Optional[str]
    timelines: list[TimelineRow]


class RecordedRound(TypedDict):
    """`crm interview --json`."""

    application: int
    round: int


class GivenTo(TypedDict):
    id: int
    name: str
    on: str


# `crm offer list --json`: one per offer. "for" (the contact it is meant for) is a Python keyword.
OfferRow = TypedDict("OfferRow", {
    "id": int, "kind": str, "title": str, "url": Optional[str], "interests": list[str], "for": Optional[int],
    "introduce": Optional[int], "on": str, "given_to": list[GivenTo],
    "lapses_on": Optional[str],  # from this day it is suggested no more; null: it does not lapse
})


class TriageRow(TypedDict):
    """`crm triage --json`: one per contact still `other`, most promising first."""

    id: int
    name: str
    title: Optional[str]
    org: Optional[str]
    touches: int
    last_touch: Optional[str]
    interests: list[str]


class IntroPair(TypedDict):
    """`crm intros --json`: one per pair worth introducing."""

    a: ContactOrgRef
    b: ContactOrgRef
    shared_interests: list[str]


class OrgPerson(TypedDict):
    id: int
    name: str
    title: Optional[str]
    role: str
    works_here: bool
    last_touch: Optional[str]
    last_interview: Optional[str]


class OrgApplication(TypedDict):
    id: int
    position: Optional[str]
    stage: str


class OrgView(TypedDict):
    """`crm org ORG --json`."""

    id: int
    name: str
    people: list[OrgPerson]
    applications: list[OrgApplication]


# ---- import, duplicates, the weekly review ----------------------------------------------------


class ImportError_(TypedDict):
    file: str
    card: Optional[int]
    line: Optional[int]
    message: str


class ImportJoin(TypedDict):
    """A card joined to a contact: the rule (a key of crm.identity.rules.REASONS) and its proof."""

    file: str
    card: int
    contact: int
    name: str
    reason: str
    evidence: Optional[str]
    changed: bool
    journal: Optional[int]  # the merge journal entry that can undo it (null: nothing changed)


class ImportReport(TypedDict):
    """`crm import --json`."""

    files: int
    cards: int
    created: int
    updated: int
    unchanged: int
    skipped: int
    warnings: list[str]
    errors: list[ImportError_]
    joins: list[ImportJoin]


class AbsorbedRef(TypedDict):
    id: Optional[int]  # null: an imported card, not a contact
    name: str


class MergeEntry(TypedDict):
    """`crm merges --json`: one per join, oldest first."""

    id: int
    date: str
    source: str  # merge | import
    kept: ContactRef
    absorbed: AbsorbedRef
    reason: str
    evidence: Optional[str]
    undone_at: Optional[str]


class Added(TypedDict):
    """`crm add --json`: the new id, and the contacts already of that (folded) name."""

    id: int
    namesakes: list[int]


class DuplicatePair(TypedDict):
    """`crm dupes --json`: one per likely duplicate pair, best first."""

    a: ContactRef
    b: ContactRef
    score: int
    evidence: list[str]


class ReviewWeek(TypedDict):
    start: str
    end: str
    touches: int
    outbound: int
    inbound: int
    answered: int
    waiting: int
    offers_given: int
    expecting_answer: int  # outbound touches that expect an answer (not thank-yous, connects...)


class TouchTotals(TypedDict):
    total: int
    outbound: int
    inbound: int


class Replies(TypedDict):
    window_days: int
    outbound: int
    expecting_answer: int
    answered: int
    unanswered: int
    waiting: int


class GivenTouch(TypedDict):
    touch: int
    on: str
    contact: int
    offer: int


class OffersGiven(TypedDict):
    count: int
    touches: list[GivenTouch]


class Bucket(TypedDict):
    count: int
    ids: list[int]


class WarmthBucket(TypedDict):
    count: int
    ids: list[int]
    contacts: list[ContactRef]  # all of them, by name


class Warmth(TypedDict):
    warm: WarmthBucket
    cooling: WarmthBucket
    cold: WarmthBucket


class Stages(TypedDict):
    applied: Bucket
    interviewing: Bucket
    offer: Bucket
    hired: Bucket
    rejected: Bucket
    withdrawn: Bucket
    closed: Bucket


class Review(TypedDict):
    """`crm review --json`."""

    as_of: str
    start: str
    weeks: list[ReviewWeek]
    touches: TouchTotals
    replies: Replies
    offers_given: OffersGiven
    keep_warm: Warmth
    applications: Stages


# ---- the file: check, backup, restore ---------------------------------------------------------


class Problem(TypedDict):
    check: str
    table: Optional[str]
    id: Optional[int]
    message: str


class CheckReport(TypedDict):
    """`crm check --json`."""

    database: str
    ok: bool
    schema_version: Optional[int]
    counts: dict[str, int]
    problems: list[Problem]
    repaired: list[Problem]  # what `crm check --repair` fixed before checking again ([] without --repair)


class BackupReport(TypedDict):
    """`crm backup --json`."""

    path: str
    bytes: int
    schema_version: int
    contacts: int
    integrity_errors: list[str]


class RestoreReport(TypedDict):
    """`crm restore --json`."""

    restored_from: str
    database: str
    kept: Optional[str]
    schema_version: int
    contacts: int


# ---- around an interview round: crm brief, crm me --------------------------------------------


class BriefApplication(TypedDict):
    id: int
    org: str
    position: str
    stage: str
    pitch: Optional[str]  # the pitch in force: the application's own, else yours


class BriefRound(TypedDict):
    number: int
    on: str
    reply_by: Optional[str]
    interviewers: list[int]


class BriefPerson(TypedDict):
    id: int
    name: str
    title: Optional[str]
    org: Optional[str]
    role: str  # their part in this round: "interviewer" or "recruiter"
    how_you_know: list[str]
    shared_interests: list[InterestNote]
    notes: Optional[str]
    last_touches: list[TouchRow]  # newest first


class RoundNote(TypedDict):
    on: str
    contact: str
    kind: str
    note: str


class EarlierRound(TypedDict):
    number: int
    on: str
    interviewers: list[str]
    notes: list[RoundNote]


class TimelineEvent(TypedDict):
    on: str
    event: str


class Brief(TypedDict):
    """`crm brief --json` (and a `prepare` suggestion's `crm draft --json`)."""

    as_of: str
    application: BriefApplication
    round: BriefRound
    people: list[BriefPerson]
    earlier_rounds: list[EarlierRound]
    timeline: list[TimelineEvent]
    questions: list[str]


class ApplicationPitch(TypedDict):
    id: int
    org: str
    position: str
    pitch: str


class Me(TypedDict):
    """`crm me --json`: your own addresses (mail from them is outbound) and your pitch."""

    addresses: list[str]
    pitch: Optional[str]
    applications: list[ApplicationPitch]
# ---- mail and invites (docs/mail.md) ------------------------------------------------------------


class MailSource(TypedDict):
    source: str
    messages: int
    touches: int
    resumed: bool  # an mbox read from where the last run stopped
    uidvalidity_changed: bool  # an IMAP folder read again from the start


class MailTouch(TypedDict):
    contact: ContactRef
    on: str
    kind: str
    direction: str
    subject: Optional[str]
    message_id: str
    application: Optional[int]
    why: str


# "as" is a Python keyword, hence the functional form. `as`: interviewer | recruiter.
InvitePerson = TypedDict("InvitePerson", {"id": int, "name": str, "email": str, "as": str, "created": bool})


class InviteResult(TypedDict):
    uid: str
    summary: str
    action: str
    application: Optional[int]
    round: Optional[int]
    on: Optional[str]
    people: list[InvitePerson]


class Correspondent(TypedDict):
    email: str
    name: Optional[str]
    messages: int


class MailImport(TypedDict):
    """`crm mail import --json`."""

    dry_run: bool
    sources: list[MailSource]
    messages: int
    touches: int
    already_logged: int
    nobody_known: int
    before_since: int
    unreadable: int
    logged: list[MailTouch]
    invites: list[InviteResult]
    unknown: list[Correspondent]
    warnings: list[str]


class InviteImport(TypedDict):
    """`crm invite import --json`."""

    invites: list[InviteResult]


class RelogResult(TouchRow):
    """`crm relog --json`: the touch as it is now, with its contact."""

    contact: ContactRef


# ---- every command's output ---------------------------------------------------------------------

# ---- sync: crm remote, crm sync (docs/sync.md) -------------------------------------------------


class RemoteRow(TypedDict):
    """`crm remote list --json`: one per remote."""

    name: str
    kind: str
    url: str
    user: Optional[str]
    collection: Optional[str]
    synced_at: Optional[str]
    items: int
    removed_on_server: int


class RemovedOnServer(TypedDict):
    id: int
    name: str
    since: str


class SyncConflict(TypedDict):
    contact: ContactRef
    field: str
    local: str
    server: str


class SkippedCard(TypedDict):
    href: str
    reason: str


class ContactSync(TypedDict):
    """One CardDAV remote in `crm sync --json`."""

    remote: str
    pulled: int
    merged: int
    created_local: int
    pushed: int
    created_remote: int
    deleted_remote: int
    removed_on_server: list[RemovedOnServer]
    conflicts: list[SyncConflict]
    skipped: list[SkippedCard]
    pruned: list[ContactRef]


class TickedNudge(TypedDict):
    contact: ContactRef
    action: str
    on: str
    via: Optional[str]
    touchpoint: int


class NudgeSync(TypedDict):
    """One CalDAV remote in `crm sync --json`."""

    remote: str
    added: int
    updated: int
    removed: int
    completed: list[TickedNudge]


class SyncReport(TypedDict):
    """`crm sync --json`: the remotes synced, contacts (CardDAV) and nudges (CalDAV) apart."""

    dry_run: bool
    contacts: list[ContactSync]
    nudges: list[NudgeSync]


SHAPES: dict[str, object] = {
    "add": Added,
    "log": IdOnly,
    "offer add": IdOnly,
    "list": list[ContactRow],
    "show": Profile,
    "history": list[TouchRow],
    "today": list[Suggestion],
    "cadence": Cadence,
    "draft": Draft,
    "draft --list-templates": Templates,
    "interview": RecordedRound,
    "applications": list[ApplicationRow],
    "offer list": list[OfferRow],
    "intros": list[IntroPair],
    "org": OrgView,
    "import": ImportReport,
    "dupes": list[DuplicatePair],
    "merges": list[MergeEntry],
    "review": Review,
    "check": CheckReport,
    "backup": BackupReport,
    "restore": RestoreReport,
    "brief": Brief,
    "me": Me,
    "proofread": list[Typo],
    "mail import": MailImport,
    "invite import": InviteImport,
    "relog": RelogResult,
    "triage": list[TriageRow],
    "remote list": list[RemoteRow],
    "sync": SyncReport,
}
