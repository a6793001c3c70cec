"""peewee models: the latest schema, table by table. Nothing else lives here.

The DDL that creates these tables is in `crm/store/migrations.py` (frozen per version); these classes
describe the shape the last migration leaves behind. A test checks the two agree.
"""
from __future__ import annotations

from peewee import (
    BooleanField,
    CompositeKey,
    DateField,
    ForeignKeyField,
    IntegerField,
    Model,
)
from peewee import TextField as _PeeweeText

from crm.store.db import database  # noqa: F401  (the models are bound to it; re-exported)
from crm.text import nfc

# The longest own keep-in-touch interval (ten years): the cadence engine adds it to dates, and a
# huge one would push them past the year 9999. `crm cadence` and `crm check` hold to it.
MAX_CADENCE_DAYS = 3650


class TextField(_PeeweeText):
    """Text stored, and compared, in Unicode NFC: a composed and a decomposed "é" typed on
    the command line are one organisation, one interest, one name."""

    def db_value(self, value):
        value = super().db_value(value)
        return nfc(value) if isinstance(value, str) else value


SQL_BATCH = 900  # ids bound per query: under SQLite's smallest SQLITE_MAX_VARIABLE_NUMBER (999)


def id_batches(ids, size: int = SQL_BATCH):
    """`ids` (a sequence) in slices small enough to bind as one `IN (...)` list."""
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False


class SchemaMigration(BaseModel):
    version = IntegerField(primary_key=True)
    name = TextField()
    applied_at = TextField()


class Organisation(BaseModel):
    name = TextField(unique=True)  # COLLATE NOCASE in the DDL (m001); name_key is what decides
    name_key = TextField(unique=True)  # crm.text.org_key: folded, legal forms dropped (unique since m007)


class Contact(BaseModel):
    display_name = TextField()
    given_name = TextField(default="")
    family_name = TextField(default="")
    additional_names = TextField(default="")
    name_prefix = TextField(default="")
    name_suffix = TextField(default="")
    nickname = TextField(default="")
    name_key = TextField(index=True)  # folded display name: lower case, no accents, single spaces
    organisation = ForeignKeyField(Organisation, null=True, backref="contacts", on_delete="SET NULL")
    department = TextField(default="")
    title = TextField(default="")
    role = TextField(default="other")
    notes = TextField(default="")
    bday_year = IntegerField(null=True)
    bday_month = IntegerField(null=True)
    bday_day = IntegerField(null=True)
    uid = TextField(null=True, unique=True)
    created_at = TextField()  # ISO 8601 date-time, given by the caller (nothing below the CLI reads the clock)
    updated_at = TextField()
    # m003: cadence controls
    cadence_days = IntegerField(null=True)
    snoozed_until = DateField(null=True)
    paused = BooleanField(default=False)
    # m006: a role guessed from the title at import (cleared by `crm edit --role`), and the day
    # the contact last entered keep-warm (a role set later, resumed): rule 10 spreads from it
    role_inferred = BooleanField(default=False)
    keep_warm_since = DateField(null=True)


class ContactMethod(BaseModel):
    """An email, phone, URL or social profile of a contact."""

    contact = ForeignKeyField(Contact, backref="methods", on_delete="CASCADE")
    medium = TextField()  # email | phone | url | social
    value = TextField()
    norm = TextField()  # email lower-cased, phone digits only, url/social as-is lower-cased
    kind = TextField(default="")  # vCard TYPE, lower-case, comma-joined
    label = TextField(default="")
    service = TextField(default="")
    position = IntegerField(default=0)


class Interest(BaseModel):
    name = TextField(unique=True)  # COLLATE NOCASE in the DDL
    name_key = TextField(unique=True)  # m007: crm.text.interest_key (case and accents folded)


class ContactInterest(BaseModel):
    contact = ForeignKeyField(Contact, backref="interest_links", on_delete="CASCADE")
    interest = ForeignKeyField(Interest, backref="contact_links", on_delete="CASCADE")
    note = TextField(default="")

    class Meta:
        primary_key = CompositeKey("contact", "interest")


class ExtraProperty(BaseModel):
    """A vCard content line the model does not map, kept verbatim so export loses nothing."""

    contact = ForeignKeyField(Contact, backref="extras", on_delete="CASCADE")
    position = IntegerField()
    line = TextField()


# ---- m002: applications, touchpoints, offers -------------------------------------------------


class Application(BaseModel):
    organisation = ForeignKeyField(Organisation, backref="applications", on_delete="RESTRICT")
    position = TextField()
    recruiter = ForeignKeyField(Contact, null=True, backref="recruited", on_delete="SET NULL")
    reply_by = DateField(null=True)
    outcome = TextField(null=True)  # offer | hired | rejected | withdrawn | closed
    outcome_on = DateField(null=True)
    outcome_note = TextField(default="")
    created_at = TextField()
    # m005: what you bring to this one, in one sentence (else your own pitch)
    pitch = TextField(default="")


class InterviewRound(BaseModel):
    application = ForeignKeyField(Application, backref="rounds", on_delete="CASCADE")
    number = IntegerField()
    on = TextField()  # ISO date or date-time
    reply_by = DateField(null=True)
    # m004: the invite it came from (UID, SEQUENCE), and a cancelled invite
    invite_uid = TextField(null=True)  # unique where not null (partial index in the DDL)
    invite_sequence = IntegerField(null=True)
    cancelled = BooleanField(default=False)


class RoundInterviewer(BaseModel):
    round = ForeignKeyField(InterviewRound, backref="interviewer_links", on_delete="CASCADE")
    contact = ForeignKeyField(Contact, backref="round_links", on_delete="CASCADE")

    class Meta:
        primary_key = CompositeKey("round", "contact")


class Offer(BaseModel):
    kind = TextField()  # article | introduction | congratulation | event | resource
    title = TextField()
    url = TextField(default="")
    for_contact = ForeignKeyField(Contact, null=True, backref="offers_for", on_delete="CASCADE")
    introduce = ForeignKeyField(Contact, null=True, backref="introduced_in", on_delete="SET NULL")
    on = DateField()
    created_at = TextField()


class OfferInterest(BaseModel):
    offer = ForeignKeyField(Offer, backref="interest_links", on_delete="CASCADE")
    interest = ForeignKeyField(Interest, backref="offer_links", on_delete="CASCADE")

    class Meta:
        primary_key = CompositeKey("offer", "interest")


class Touchpoint(BaseModel):
    contact = ForeignKeyField(Contact, backref="touchpoints", on_delete="CASCADE")
    on = TextField()  # ISO date or date-time; its first 10 characters are the date
    kind = TextField()
    via = TextField(null=True)
    direction = TextField(default="out")  # out | in
    note = TextField(default="")
    offer = ForeignKeyField(Offer, null=True, backref="touchpoints", on_delete="SET NULL")
    application = ForeignKeyField(Application, null=True, backref="touchpoints", on_delete="SET NULL")
    created_at = TextField()
    # m004: the mail message it was logged from (Message-ID or a hash); unique per contact
    message_key = TextField(null=True)
    declined = BooleanField(default=False)  # m006: an inbound "no, thank you" (to an introduction)


# ---- m004: mail capture ----------------------------------------------------------------------


class OwnAddress(BaseModel):
    """One of your own email addresses (`crm me`)."""

    address = TextField()
    norm = TextField(unique=True)
    created_at = TextField()


class MailFolder(BaseModel):
    """How far a mail source has been read (an IMAP folder, or an mbox file)."""

    source = TextField(unique=True)  # imaps://user@host:port/FOLDER (never a password), or an mbox path
    uidvalidity = IntegerField(null=True)
    last_uid = IntegerField(default=0)
    read_bytes = IntegerField(default=0)
    checksum = TextField(default="")
    updated_at = TextField()


# ---- m006: the timelines they stated ---------------------------------------------------------


class Timeline(BaseModel):
    """"We will decide by 8 Apr", said on 25 Mar: the latest stated governs rule 2."""

    application = ForeignKeyField(Application, backref="timelines", on_delete="CASCADE")
    stated_on = DateField()
    reply_by = DateField()
    contact = ForeignKeyField(Contact, null=True, backref="timelines", on_delete="SET NULL")
    touchpoint = ForeignKeyField(Touchpoint, null=True, backref="timelines", on_delete="CASCADE")
    created_at = TextField()


class ContactSummary(BaseModel):
    """What the cadence rules read of one contact's log, kept by triggers (migration m009).

    A row exists while the contact has a touch that counts (any kind but a note). Each column is
    the stored `on` of the latest such touch of its sort; `keep_warm_from` is the first of the
    last 2 outbound keep-warm touches; `first_connect_on` the earliest `connect`.
    """

    contact_id = IntegerField(primary_key=True)
    last_on = TextField()
    last_out_on = TextField(null=True)
    last_in_on = TextField(null=True)
    keep_warm_from = TextField(null=True)
    last_congratulate_on = TextField(null=True)
    first_connect_on = TextField(null=True)


class OfferGiven(BaseModel):
    """The day each offer was first given to a contact (a counted touch carrying it); triggers."""

    contact_id = IntegerField()
    offer_id = IntegerField()
    first_on = TextField()

    class Meta:
        primary_key = CompositeKey("contact_id", "offer_id")


# ---- m005: about you ---------------------------------------------------------------------------


class MeSetting(BaseModel):
    """One fact about you, by name (`pitch`: `crm me --pitch`)."""

    name = TextField(primary_key=True)
    value = TextField()
    updated_at = TextField()


# ---- m007: the merge journal -----------------------------------------------------------------


class MergeJournal(BaseModel):
    """One join of two records of a person (crm.store.journal), with what it takes to undo it."""

    at = TextField()
    source = TextField()  # merge | import
    kept_id = IntegerField(index=True)  # no foreign key: the entry outlives either contact
    kept_name = TextField()
    absorbed_id = IntegerField(null=True)  # None when an import's card was absorbed
    absorbed_name = TextField()
    reason = TextField()  # a key of crm.identity.rules.REASONS
    evidence = TextField(default="")
    undo = TextField()  # JSON: the cards before/after, the absorbed record, the rows it brought
    undone_at = TextField(null=True)


# ---- m008: remotes and sync state -------------------------------------------------------------


class Remote(BaseModel):
    """A CardDAV address book or CalDAV calendar. The password is never stored."""

    name = TextField(unique=True)  # COLLATE NOCASE in the DDL
    kind = TextField()  # carddav | caldav
    url = TextField()
    username = TextField(default="")
    collection_url = TextField(null=True)
    sync_token = TextField(null=True)
    ctag = TextField(null=True)
    created_at = TextField()
    synced_at = TextField(null=True)


class SyncItem(BaseModel):
    """A card as both sides had it at the last sync; contact NULL is a tombstone (`crm rm`)."""

    remote = ForeignKeyField(Remote, backref="items", on_delete="CASCADE")
    contact = ForeignKeyField(Contact, null=True, backref="sync_items", on_delete="SET NULL")
    uid = TextField()
    href = TextField()
    etag = TextField(null=True)
    base = TextField()  # the server's card text as last synced
    local_hash = TextField()  # hash of the fields crm owns, as the contact had them then
    removed_on = TextField(null=True)  # removed on the server that day: the contact is kept, marked


class NudgeItem(BaseModel):
    """A nudge (VTODO) crm put on a CalDAV calendar."""

    remote = ForeignKeyField(Remote, backref="nudges", on_delete="CASCADE")
    uid = TextField()
    href = TextField()
    etag = TextField(null=True)
    digest = TextField()
    contact = ForeignKeyField(Contact, null=True, backref="nudges", on_delete="SET NULL")
    action = TextField()
    channel = TextField(null=True)
    application_id = IntegerField(null=True)
    offer_id = IntegerField(null=True)


ALL_MODELS = [
    SchemaMigration,
    Organisation,
    Contact,
    ContactMethod,
    Interest,
    ContactInterest,
    ExtraProperty,
    Application,
    InterviewRound,
    RoundInterviewer,
    Offer,
    OfferInterest,
    Touchpoint,
    ContactSummary,
    OfferGiven,
    MeSetting,
    OwnAddress,
    MailFolder,
    Timeline,
    MergeJournal,
    Remote,
    SyncItem,
    NudgeItem,
]
