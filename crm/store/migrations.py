"""Numbered schema migrations. Each is frozen once released: never edit one, add the next.

`MIGRATIONS` is applied in order by `crm.store.db.migrate`, each in its own transaction, and recorded
in `schema_migration`. `alters_existing` marks migrations that change tables holding user data;
before one of those runs on a database with data, `crm.store.db` saves a copy of the file next to it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Migration:
    """One numbered schema change: its statements run in one savepoint, with its schema_migration row."""

    version: int
    name: str
    statements: tuple[str, ...]
    alters_existing: bool = False
    # SQL functions the statements call (name, one-argument Python function), for keys SQL cannot
    # compute (Unicode folding, phone numbering plans).
    functions: tuple[tuple[str, Callable[[str], str]], ...] = ()


M001_INITIAL = Migration(
    1,
    "m001_initial",
    (
        """CREATE TABLE schema_migration (
            version INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            applied_at TEXT NOT NULL)""",
        """CREATE TABLE organisation (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            name_key TEXT NOT NULL)""",
        "CREATE INDEX organisation_name_key ON organisation (name_key)",
        """CREATE TABLE contact (
            id INTEGER PRIMARY KEY,
            display_name TEXT NOT NULL,
            given_name TEXT NOT NULL DEFAULT '',
            family_name TEXT NOT NULL DEFAULT '',
            additional_names TEXT NOT NULL DEFAULT '',
            name_prefix TEXT NOT NULL DEFAULT '',
            name_suffix TEXT NOT NULL DEFAULT '',
            nickname TEXT NOT NULL DEFAULT '',
            name_key TEXT NOT NULL,
            organisation_id INTEGER REFERENCES organisation (id) ON DELETE SET NULL,
            department TEXT NOT NULL DEFAULT '',
            title TEXT NOT NULL DEFAULT '',
            role TEXT NOT NULL DEFAULT 'other' CHECK (role IN
                ('recruiter', 'interviewer', 'hiring-manager', 'referrer', 'mentor', 'peer', 'other')),
            notes TEXT NOT NULL DEFAULT '',
            bday_year INTEGER,
            bday_month INTEGER,
            bday_day INTEGER,
            uid TEXT UNIQUE,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL)""",
        "CREATE INDEX contact_name_key ON contact (name_key)",
        "CREATE INDEX contact_organisation_id ON contact (organisation_id)",
        """CREATE TABLE contact_method (
            id INTEGER PRIMARY KEY,
            contact_id INTEGER NOT NULL REFERENCES contact (id) ON DELETE CASCADE,
            medium TEXT NOT NULL CHECK (medium IN ('email', 'phone', 'url', 'social')),
            value TEXT NOT NULL,
            norm TEXT NOT NULL,
            kind TEXT NOT NULL DEFAULT '',
            label TEXT NOT NULL DEFAULT '',
            service TEXT NOT NULL DEFAULT '',
            position INTEGER NOT NULL DEFAULT 0)""",
        "CREATE INDEX contact_method_contact_id ON contact_method (contact_id)",
        "CREATE INDEX contact_method_medium_norm ON contact_method (medium, norm)",
        """CREATE TABLE interest (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE)""",
        """CREATE TABLE contact_interest (
            contact_id INTEGER NOT NULL REFERENCES contact (id) ON DELETE CASCADE,
            interest_id INTEGER NOT NULL REFERENCES interest (id) ON DELETE CASCADE,
            note TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (contact_id, interest_id))""",
        "CREATE INDEX contact_interest_interest_id ON contact_interest (interest_id)",
        """CREATE TABLE extra_property (
            id INTEGER PRIMARY KEY,
            contact_id INTEGER NOT NULL REFERENCES contact (id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            line TEXT NOT NULL)""",
        "CREATE INDEX extra_property_contact_id ON extra_property (contact_id)",
    ),
)

M002_TOUCHPOINTS = Migration(
    2,
    "m002_applications_touchpoints_offers",
    (
        """CREATE TABLE application (
            id INTEGER PRIMARY KEY,
            organisation_id INTEGER NOT NULL REFERENCES organisation (id) ON DELETE RESTRICT,
            position TEXT NOT NULL,
            recruiter_id INTEGER REFERENCES contact (id) ON DELETE SET NULL,
            reply_by DATE,
            outcome TEXT CHECK (outcome IS NULL OR outcome IN
                ('offer', 'hired', 'rejected', 'withdrawn', 'closed')),
            outcome_on DATE,
            outcome_note TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL)""",
        "CREATE INDEX application_organisation_id ON application (organisation_id)",
        "CREATE INDEX application_recruiter_id ON application (recruiter_id)",
        """CREATE TABLE interview_round (
            id INTEGER PRIMARY KEY,
            application_id INTEGER NOT NULL REFERENCES application (id) ON DELETE CASCADE,
            number INTEGER NOT NULL,
            "on" TEXT NOT NULL,
            reply_by DATE)""",
        "CREATE INDEX interview_round_application_id ON interview_round (application_id)",
        """CREATE TABLE round_interviewer (
            round_id INTEGER NOT NULL REFERENCES interview_round (id) ON DELETE CASCADE,
            contact_id INTEGER NOT NULL REFERENCES contact (id) ON DELETE CASCADE,
            PRIMARY KEY (round_id, contact_id))""",
        "CREATE INDEX round_interviewer_contact_id ON round_interviewer (contact_id)",
        """CREATE TABLE offer (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN
                ('article', 'introduction', 'congratulation', 'event', 'resource')),
            title TEXT NOT NULL,
            url TEXT NOT NULL DEFAULT '',
            for_contact_id INTEGER REFERENCES contact (id) ON DELETE CASCADE,
            introduce_id INTEGER REFERENCES contact (id) ON DELETE SET NULL,
            "on" DATE NOT NULL,
            created_at TEXT NOT NULL)""",
        "CREATE INDEX offer_for_contact_id ON offer (for_contact_id)",
        "CREATE INDEX offer_introduce_id ON offer (introduce_id)",
        """CREATE TABLE offer_interest (
            offer_id INTEGER NOT NULL REFERENCES offer (id) ON DELETE CASCADE,
            interest_id INTEGER NOT NULL REFERENCES interest (id) ON DELETE CASCADE,
            PRIMARY KEY (offer_id, interest_id))""",
        "CREATE INDEX offer_interest_interest_id ON offer_interest (interest_id)",
        """CREATE TABLE touchpoint (
            id INTEGER PRIMARY KEY,
            contact_id INTEGER NOT NULL REFERENCES contact (id) ON DELETE CASCADE,
            "on" TEXT NOT NULL,
            kind TEXT NOT NULL,
            via TEXT,
            direction TEXT NOT NULL DEFAULT 'out' CHECK (direction IN ('out', 'in')),
            note TEXT NOT NULL DEFAULT '',
            offer_id INTEGER REFERENCES offer (id) ON DELETE SET NULL,
            application_id INTEGER REFERENCES application (id) ON DELETE SET NULL,
            created_at TEXT NOT NULL)""",
        # Covers the cadence aggregates (last touch per contact and direction) without touching the table.
        'CREATE INDEX touchpoint_contact_on ON touchpoint (contact_id, "on", direction, kind)',
        "CREATE INDEX touchpoint_offer_id ON touchpoint (offer_id)",
        "CREATE INDEX touchpoint_application_id ON touchpoint (application_id)",
    ),
)

M003_CADENCE = Migration(
    3,
    "m003_contact_cadence_controls",
    (
        "ALTER TABLE contact ADD COLUMN cadence_days INTEGER CHECK (cadence_days IS NULL OR cadence_days > 0)",
        "ALTER TABLE contact ADD COLUMN snoozed_until DATE",
        "ALTER TABLE contact ADD COLUMN paused INTEGER NOT NULL DEFAULT 0",
    ),
    alters_existing=True,
)

def _m007_phone_key(value: str) -> str:
    # No region: a migration must not depend on the environment. International numbers get their
    # E.164 key, national ones their digits; the CLI re-keys those with its region afterwards.
    from crm.text import phone_key

    return phone_key(value)


def _m007_org_key(name: str) -> str:
    from crm.text import org_key

    return org_key(name)


def _m007_interest_key(name: str) -> str:
    from crm.text import interest_key

    return interest_key(name)


def _m007_twins(table: str) -> str:
    """Ids of `table` rows whose name_key an older row already has (what m007 folds together)."""
    return f"SELECT id FROM {table} t WHERE id != (SELECT MIN(id) FROM {table} o WHERE o.name_key = t.name_key)"


def _m007_keep(table: str, column: str) -> str:
    return f"(SELECT MIN(o.id) FROM {table} o WHERE o.name_key = (SELECT name_key FROM {table} WHERE id = {column}))"


M004_MAIL = Migration(
    4,
    "m004_mail_capture_and_invites",
    (
        # Your own addresses (`crm me`): mail from one of them is outbound.
        """CREATE TABLE own_address (
            id INTEGER PRIMARY KEY,
            address TEXT NOT NULL,
            norm TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL)""",
        # The message a touch was logged from (its Message-ID, or a hash when it has none):
        # at most one touch per message per contact, however often the message is seen.
        "ALTER TABLE touchpoint ADD COLUMN message_key TEXT",
        "CREATE UNIQUE INDEX touchpoint_contact_message ON touchpoint (contact_id, message_key)"
        " WHERE message_key IS NOT NULL",
        "CREATE INDEX touchpoint_message_key ON touchpoint (message_key) WHERE message_key IS NOT NULL",
        # How far each mail source has been read: an IMAP folder (UIDVALIDITY and the last UID) or
        # an mbox file (bytes read, and a checksum of the bytes just before, to notice a rewrite).
        """CREATE TABLE mail_folder (
            id INTEGER PRIMARY KEY,
            source TEXT NOT NULL UNIQUE,
            uidvalidity INTEGER,
            last_uid INTEGER NOT NULL DEFAULT 0,
            read_bytes INTEGER NOT NULL DEFAULT 0,
            checksum TEXT NOT NULL DEFAULT '',
            updated_at TEXT NOT NULL)""",
        # The invite a round came from (its UID and SEQUENCE), and whether it was cancelled.
        "ALTER TABLE interview_round ADD COLUMN invite_uid TEXT",
        "ALTER TABLE interview_round ADD COLUMN invite_sequence INTEGER",
        "ALTER TABLE interview_round ADD COLUMN cancelled INTEGER NOT NULL DEFAULT 0",
        "CREATE UNIQUE INDEX interview_round_invite_uid ON interview_round (invite_uid) WHERE invite_uid IS NOT NULL",
    ),
    alters_existing=True,
)

M005_PITCH = Migration(
    5,
    "m005_pitch",
    (
        # What you bring, in one sentence: yours (`crm me --pitch`), and per application.
        """CREATE TABLE me_setting (
            name TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            updated_at TEXT NOT NULL)""",
        "ALTER TABLE application ADD COLUMN pitch TEXT NOT NULL DEFAULT ''",
    ),
    alters_existing=True,
)

# The conversation: the timelines they stated, declined introductions, roles inferred from
# titles, and the day a contact entered keep-warm (rule 10's spread starts from it).
M006_CONVERSATION = Migration(
    6,
    "m006_conversation",
    (
        """CREATE TABLE timeline (
            id INTEGER PRIMARY KEY,
            application_id INTEGER NOT NULL REFERENCES application (id) ON DELETE CASCADE,
            stated_on DATE NOT NULL,
            reply_by DATE NOT NULL,
            contact_id INTEGER REFERENCES contact (id) ON DELETE SET NULL,
            touchpoint_id INTEGER REFERENCES touchpoint (id) ON DELETE CASCADE,
            created_at TEXT NOT NULL)""",
        "CREATE INDEX timeline_application_id ON timeline (application_id)",
        "CREATE INDEX timeline_touchpoint_id ON timeline (touchpoint_id)",
        "ALTER TABLE touchpoint ADD COLUMN declined INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE contact ADD COLUMN role_inferred INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE contact ADD COLUMN keep_warm_since DATE",
    ),
    alters_existing=True,
)

M007_IDENTITY = Migration(
    7,
    "m007_identity_keys_and_merge_journal",
    (
        # Interests: a folded key, unique, so "Écologie" and "écologie" are one tag.
        "ALTER TABLE interest ADD COLUMN name_key TEXT NOT NULL DEFAULT ''",
        "UPDATE interest SET name_key = m007_interest_key(name)",
        "INSERT OR IGNORE INTO contact_interest (contact_id, interest_id, note)"
        f" SELECT contact_id, {_m007_keep('interest', 'interest_id')}, note FROM contact_interest"
        f" WHERE interest_id IN ({_m007_twins('interest')})",
        "INSERT OR IGNORE INTO offer_interest (offer_id, interest_id)"
        f" SELECT offer_id, {_m007_keep('interest', 'interest_id')} FROM offer_interest"
        f" WHERE interest_id IN ({_m007_twins('interest')})",
        f"DELETE FROM interest WHERE id IN ({_m007_twins('interest')})",  # their links cascade
        "CREATE UNIQUE INDEX interest_name_key ON interest (name_key)",
        # Organisations: crm.text.org_key (accents, legal forms), unique; twins become the oldest.
        "UPDATE organisation SET name_key = m007_org_key(name)",
        f"UPDATE contact SET organisation_id = {_m007_keep('organisation', 'organisation_id')}"
        f" WHERE organisation_id IN ({_m007_twins('organisation')})",
        f"UPDATE application SET organisation_id = {_m007_keep('organisation', 'organisation_id')}"
        f" WHERE organisation_id IN ({_m007_twins('organisation')})",
        f"DELETE FROM organisation WHERE id IN ({_m007_twins('organisation')})",
        "DROP INDEX organisation_name_key",
        "CREATE UNIQUE INDEX organisation_name_key ON organisation (name_key)",
        # Phones: E.164 keys (crm.text.phone_key) instead of the last nine digits.
        "UPDATE contact_method SET norm = m007_phone_key(value) WHERE medium = 'phone'",
        """CREATE TABLE merge_journal (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            source TEXT NOT NULL CHECK (source IN ('merge', 'import')),
            kept_id INTEGER NOT NULL,
            kept_name TEXT NOT NULL,
            absorbed_id INTEGER,
            absorbed_name TEXT NOT NULL,
            reason TEXT NOT NULL,
            evidence TEXT NOT NULL DEFAULT '',
            undo TEXT NOT NULL,
            undone_at TEXT)""",
        "CREATE INDEX merge_journal_kept_id ON merge_journal (kept_id)",
    ),
    alters_existing=True,
    functions=(("m007_phone_key", _m007_phone_key), ("m007_org_key", _m007_org_key),
               ("m007_interest_key", _m007_interest_key)),
)


M008_SYNC = Migration(
    8,
    "m008_remotes_and_sync_state",
    (
        # A CardDAV address book or CalDAV calendar to sync with. No password column, by design:
        # the password comes from the environment or a prompt on every run.
        """CREATE TABLE remote (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            kind TEXT NOT NULL CHECK (kind IN ('carddav', 'caldav')),
            url TEXT NOT NULL,
            username TEXT NOT NULL DEFAULT '',
            collection_url TEXT,
            sync_token TEXT,
            ctag TEXT,
            created_at TEXT NOT NULL,
            synced_at TEXT)""",
        # Per remote and card, what both sides looked like at the last sync (the third side of
        # the three-way decision). contact_id NULL: the contact was removed locally (`crm rm`,
        # or absorbed by a merge), a tombstone: the card is deleted on the server next sync.
        """CREATE TABLE sync_item (
            id INTEGER PRIMARY KEY,
            remote_id INTEGER NOT NULL REFERENCES remote (id) ON DELETE CASCADE,
            contact_id INTEGER REFERENCES contact (id) ON DELETE SET NULL,
            uid TEXT NOT NULL,
            href TEXT NOT NULL,
            etag TEXT,
            base TEXT NOT NULL,
            local_hash TEXT NOT NULL,
            removed_on TEXT,
            UNIQUE (remote_id, href))""",
        "CREATE INDEX sync_item_contact_id ON sync_item (contact_id)",
        # Per remote calendar, the nudges (VTODOs) crm put there.
        """CREATE TABLE nudge_item (
            id INTEGER PRIMARY KEY,
            remote_id INTEGER NOT NULL REFERENCES remote (id) ON DELETE CASCADE,
            uid TEXT NOT NULL,
            href TEXT NOT NULL,
            etag TEXT,
            digest TEXT NOT NULL,
            contact_id INTEGER REFERENCES contact (id) ON DELETE SET NULL,
            action TEXT NOT NULL,
            channel TEXT,
            application_id INTEGER,
            offer_id INTEGER,
            UNIQUE (remote_id, uid))""",
        "CREATE INDEX nudge_item_contact_id ON nudge_item (contact_id)",
    ),
)


# ---- m009: the per-contact touch summary, kept by triggers
# `crm today` used to aggregate the whole log on every run. These two tables hold, per contact,
# what the cadence rules read of its log (crm.cadence.model.TouchSummary), as of "now": the
# latest touch of each sort, and the day each offer was first given. Triggers on touchpoint keep
# them in the same transaction as every write to the log (log, unlog, merge, rm, imports, and
# any future writer: mail capture, sync), so no code path can forget them; `crm check` compares
# them with the log. The kinds are frozen here as crm.cadence.settings had them (notes count
# for nothing; keep-warm kinds; the last 2 keep-warm touches): a test holds settings to these, and
# changing them means a new migration that rebuilds the tables.
NOT_A_TOUCH_M009 = "('note')"
KEEP_WARM_M009 = "('check-in', 'congratulate', 'introduction', 'message', 'value-offer')"


def _summary_of_m009(who: str) -> str:
    """Recompute the summary row of the contact `who` (an SQL expression) from the log."""
    counted = f"t.contact_id = {who} AND t.kind NOT IN {NOT_A_TOUCH_M009}"
    return f"""
        DELETE FROM contact_summary WHERE contact_id = {who};
        INSERT INTO contact_summary (contact_id, last_on, last_out_on, last_in_on, keep_warm_from,
                                     last_congratulate_on, first_connect_on)
        SELECT {who},
            (SELECT t."on" FROM touchpoint t WHERE {counted} ORDER BY t."on" DESC LIMIT 1),
            (SELECT t."on" FROM touchpoint t WHERE {counted} AND t.direction = 'out' ORDER BY t."on" DESC LIMIT 1),
            (SELECT t."on" FROM touchpoint t WHERE {counted} AND t.direction = 'in' ORDER BY t."on" DESC LIMIT 1),
            (SELECT t."on" FROM touchpoint t WHERE {counted} AND t.direction = 'out'
                AND t.kind IN {KEEP_WARM_M009} ORDER BY t."on" DESC LIMIT 1 OFFSET 1),
            (SELECT t."on" FROM touchpoint t WHERE {counted} AND t.direction = 'out'
                AND t.kind = 'congratulate' ORDER BY t."on" DESC LIMIT 1),
            (SELECT t."on" FROM touchpoint t WHERE t.contact_id = {who} AND t.kind = 'connect' ORDER BY t."on" LIMIT 1)
        WHERE EXISTS (SELECT 1 FROM touchpoint t WHERE {counted});"""


def _given_of_m009(who: str, offer: str) -> str:
    """Recompute when the offer `offer` was first given to the contact `who`."""
    return f"""
        DELETE FROM offer_given WHERE contact_id = {who} AND offer_id = {offer};
        INSERT INTO offer_given (contact_id, offer_id, first_on)
        SELECT contact_id, offer_id, MIN("on") FROM touchpoint
        WHERE offer_id = {offer} AND contact_id = {who} AND kind NOT IN {NOT_A_TOUCH_M009}
        GROUP BY contact_id, offer_id;"""


M009_TOUCH_SUMMARY = Migration(
    9,
    "m009_touch_summary",
    (
        # No foreign key to contact: rows come and go with the contact's touches (a contact's
        # delete cascades to its touches, whose triggers then drop the row).
        """CREATE TABLE contact_summary (
            contact_id INTEGER PRIMARY KEY,
            last_on TEXT NOT NULL,
            last_out_on TEXT,
            last_in_on TEXT,
            keep_warm_from TEXT,
            last_congratulate_on TEXT,
            first_connect_on TEXT)""",
        """CREATE TABLE offer_given (
            contact_id INTEGER NOT NULL,
            offer_id INTEGER NOT NULL,
            first_on TEXT NOT NULL,
            PRIMARY KEY (contact_id, offer_id))""",
        # The contacts keep-warm can apply to (any role but `other`, or an own cadence): crm today
        # reads these 20% of a big address book without walking the other 80%.
        "CREATE INDEX contact_keep_warm ON contact (id) WHERE role != 'other' OR cadence_days IS NOT NULL",
        f"""INSERT INTO contact_summary (contact_id, last_on, last_out_on, last_in_on, last_congratulate_on,
                                         first_connect_on)
            SELECT contact_id, MAX("on"), MAX(CASE WHEN direction = 'out' THEN "on" END),
                MAX(CASE WHEN direction = 'in' THEN "on" END),
                MAX(CASE WHEN direction = 'out' AND kind = 'congratulate' THEN "on" END),
                MIN(CASE WHEN kind = 'connect' THEN "on" END)
            FROM touchpoint WHERE kind NOT IN {NOT_A_TOUCH_M009} GROUP BY contact_id""",
        f"""UPDATE contact_summary SET keep_warm_from = (
                SELECT t."on" FROM touchpoint t WHERE t.contact_id = contact_summary.contact_id
                AND t.direction = 'out' AND t.kind IN {KEEP_WARM_M009} ORDER BY t."on" DESC LIMIT 1 OFFSET 1)""",
        f"""INSERT INTO offer_given (contact_id, offer_id, first_on)
            SELECT contact_id, offer_id, MIN("on") FROM touchpoint
            WHERE offer_id IS NOT NULL AND kind NOT IN {NOT_A_TOUCH_M009} GROUP BY contact_id, offer_id""",
        f"""CREATE TRIGGER touchpoint_summary_insert AFTER INSERT ON touchpoint BEGIN
            {_summary_of_m009("NEW.contact_id")}
            {_given_of_m009("NEW.contact_id", "NEW.offer_id")}
        END""",
        f"""CREATE TRIGGER touchpoint_summary_delete AFTER DELETE ON touchpoint BEGIN
            {_summary_of_m009("OLD.contact_id")}
            {_given_of_m009("OLD.contact_id", "OLD.offer_id")}
        END""",
        f"""CREATE TRIGGER touchpoint_summary_update AFTER UPDATE OF contact_id, "on", kind, direction, offer_id
            ON touchpoint BEGIN
            {_summary_of_m009("OLD.contact_id")}
            {_summary_of_m009("NEW.contact_id")}
            {_given_of_m009("OLD.contact_id", "OLD.offer_id")}
            {_given_of_m009("NEW.contact_id", "NEW.offer_id")}
        END""",
    ),
)


# ---- m010: the listing reads a contact's emails and phones from one index
# `crm list` reads, for each of 100k contacts, its emails and its phones in their order. With
# this index covering (contact_id, medium, position, id, value) each is one seek and a run of
# index entries, with no sort and no visit to the table: the listing's query takes a quarter
# less. It starts with contact_id, so it serves everything contact_method_contact_id served (a
# contact's methods, the foreign key's cascade), and that index goes.
M010_LISTING_INDEX = Migration(
    10,
    "m010_listing_index",
    (
        "CREATE INDEX contact_method_listing ON contact_method (contact_id, medium, position, id, value)",
        "DROP INDEX contact_method_contact_id",
    ),
)


# ---- m011: what `crm review` reads, kept by triggers
# The review used to read every touch of its window on every run (a year of a 1M-touch log:
# ~2 s). Three tables hold what it counts, kept by triggers in the same transaction as every
# write to the log, as m009's are:
# - touch_day: per day, its counted touches (any kind but a note), outbound and inbound;
# - expected_reply: per outbound touch that expects an answer (an "ask": not a note, not one of
#   the kinds that expect none), the day of the first touch of the contact's reply log after it
#   when that one is inbound (the reply, if any: a reply comes before the next ask), and the day
#   of the next ask. The reply log is the contact's counted touches less the outbound ones that
#   expect no answer, in log order ("on", then id), as crm.views.review defines it. These are
#   facts of the log, not of a date: the review judges answered / waiting / unanswered as of its
#   day from them (a reply or a next ask dated after that day does not exist yet);
# - reply_day: per day, its asks and how many of them had their reply within REPLY_WINDOW_M011
#   days: kept from expected_reply by triggers of its own. An ask more than that many days
#   before the review's day is answered exactly when it had such a reply, and cannot be waiting,
#   so the review reads only the last days' asks one by one.
# Inserting, deleting or moving a touch changes only its own row of expected_reply and the row
# of the ask just before it (at its old and its new place): what first follows an ask is all
# its row holds. The kinds and the window are frozen here as crm.cadence.settings and
# crm.views.review have them (a test holds them equal).
NO_ANSWER_M011 = "('congratulate', 'connect', 'thank-you', 'withdrawal')"
REPLY_WINDOW_M011 = 30


def _ask_m011(t: str) -> str:
    """The touch `t` (a table alias, or NEW / OLD) is an outbound touch that expects an answer."""
    return f"{t}.direction = 'out' AND {t}.kind NOT IN {NOT_A_TOUCH_M009} AND {t}.kind NOT IN {NO_ANSWER_M011}"


def _in_replies_m011(t: str) -> str:
    """The touch `t` is in its contact's reply log: counted, and inbound or an ask."""
    return f"{t}.kind NOT IN {NOT_A_TOUCH_M009} AND ({t}.direction = 'in' OR {t}.kind NOT IN {NO_ANSWER_M011})"


def _first_after_m011(what: str, where: str, ask: str) -> str:
    """`what` of the first touch `t` of the contact's log after the ask `ask` (its place in the
    log: "on", then id) for which `where` holds. `ask` is a row (NEW, OLD) or, as `id = EXPR`,
    the id of a touch."""
    source, a = ("touchpoint t", ask) if not ask.startswith("id = ") else ("touchpoint a, touchpoint t", "a")
    known = "" if a == ask else f"a.{ask} AND "
    return f"""(SELECT {what} FROM {source}
        WHERE {known}t.contact_id = {a}.contact_id AND t."on" >= {a}."on" AND (t."on" > {a}."on" OR t.id > {a}.id)
        AND {where} ORDER BY t."on", t.id LIMIT 1)"""


def _reply_m011(ask: str) -> str:
    """The day of the reply to `ask`: of the next touch in its reply log, if inbound."""
    return _first_after_m011("""CASE WHEN t.direction = 'in' THEN substr(t."on", 1, 10) END""",
                             _in_replies_m011("t"), ask)


def _next_ask_m011(ask: str) -> str:
    """The day of the ask after `ask`."""
    return _first_after_m011('substr(t."on", 1, 10)', _ask_m011("t"), ask)


def _expected_reply_m011(row: str) -> str:
    """Insert the expected_reply row of the touch `row` (NEW), if it is an ask."""
    return f"""
        INSERT INTO expected_reply (touch_id, contact_id, out_on, reply_on, next_out_on)
        SELECT {row}.id, {row}.contact_id, substr({row}."on", 1, 10), {_reply_m011(row)}, {_next_ask_m011(row)}
        WHERE {_ask_m011(row)};"""


def _replies_around_m011(row: str) -> str:
    """Bring up to date the row of the last ask before the touch `row`'s place (NEW or OLD) in its
    contact's log, when `row` is (or was) in the reply log. Written only if it changed: a row
    written is pages to journal, and most touches (a second inbound one) change nothing."""
    before = f"""(SELECT t.id FROM touchpoint t WHERE t.contact_id = {row}.contact_id AND t."on" <= {row}."on"
        AND (t."on" < {row}."on" OR t.id < {row}.id) AND t.id != {row}.id AND {_ask_m011("t")}
        ORDER BY t."on" DESC, t.id DESC LIMIT 1)"""
    reply, next_ask = _reply_m011("id = expected_reply.touch_id"), _next_ask_m011("id = expected_reply.touch_id")
    return f"""
        UPDATE expected_reply SET reply_on = {reply}, next_out_on = {next_ask}
        WHERE touch_id = {before} AND {_in_replies_m011(row)}
            AND (reply_on IS NOT {reply} OR next_out_on IS NOT {next_ask});"""


def _count_m011(table: str, day: str, step: str, counts: dict[str, str], when: str = "") -> str:
    """Add one row's `counts` (column: SQL value) to the row of `day` in `table` (`step` '+'),
    or take them off ('-'), if `when` holds; a day whose first count falls to 0 goes."""
    first = next(iter(counts))
    also = f" AND {when}" if when else ""
    return f"""
        INSERT INTO {table} (day, {", ".join(counts)}) SELECT {day}, {", ".join("0" for _ in counts)}
        WHERE NOT EXISTS (SELECT 1 FROM {table} WHERE day = {day}){also};
        UPDATE {table} SET {", ".join(f"{column} = {column} {step} {value}" for column, value in counts.items())}
        WHERE day = {day}{also};
        DELETE FROM {table} WHERE day = {day} AND {first} = 0;"""


def _touch_day_m011(row: str, step: str) -> str:
    counts = {"touches": "1", "outbound": f"({row}.direction = 'out')", "inbound": f"({row}.direction = 'in')"}
    return _count_m011("touch_day", f'substr({row}."on", 1, 10)', step, counts, f"{row}.kind NOT IN {NOT_A_TOUCH_M009}")


def _reply_day_m011(row: str, step: str) -> str:
    return _count_m011("reply_day", f"{row}.out_on", step, {"asks": "1", "answered": _answered_m011(row)})


def _answered_m011(row: str) -> str:
    """The expected_reply `row` had its reply within the window (1, else 0)."""
    return f"coalesce(julianday({row}.reply_on) - julianday({row}.out_on) <= {REPLY_WINDOW_M011}, 0)"


# What the tables hold, from the log as it is (the migration builds them with these;
# crm.store.summary compares the stored tables with them).
TOUCH_DAYS_M011 = f"""
SELECT substr("on", 1, 10), count(*), sum(direction = 'out'), sum(direction = 'in')
FROM touchpoint WHERE kind NOT IN {NOT_A_TOUCH_M009} GROUP BY 1"""
EXPECTED_REPLIES_M011 = f"""
WITH replies AS (
    SELECT id, contact_id, "on", direction, lead(direction) OVER by_time AS next_direction,
        lead(substr("on", 1, 10)) OVER by_time AS next_day
    FROM touchpoint t WHERE {_in_replies_m011("t")}
    WINDOW by_time AS (PARTITION BY contact_id ORDER BY "on", id)
)
SELECT id, contact_id, substr("on", 1, 10), CASE WHEN next_direction = 'in' THEN next_day END,
    lead(substr("on", 1, 10)) OVER (PARTITION BY contact_id ORDER BY "on", id)
FROM replies WHERE direction = 'out'"""
# reply_day from expected_reply (itself held to the log).
REPLY_DAYS_M011 = f"""
SELECT out_on, count(*), sum({_answered_m011("expected_reply")}) FROM expected_reply GROUP BY out_on"""

M011_REVIEW_SUMMARY = Migration(
    11,
    "m011_review_summary",
    (
        """CREATE TABLE touch_day (
            day TEXT NOT NULL PRIMARY KEY,
            touches INTEGER NOT NULL,
            outbound INTEGER NOT NULL,
            inbound INTEGER NOT NULL)""",
        # No foreign keys, as m009's: a row goes with its touch.
        """CREATE TABLE expected_reply (
            touch_id INTEGER PRIMARY KEY,
            contact_id INTEGER NOT NULL,
            out_on TEXT NOT NULL,
            reply_on TEXT,
            next_out_on TEXT)""",
        # The review reads the last days' asks from this index alone.
        "CREATE INDEX expected_reply_out_on ON expected_reply (out_on, reply_on, next_out_on)",
        """CREATE TABLE reply_day (
            day TEXT NOT NULL PRIMARY KEY,
            asks INTEGER NOT NULL,
            answered INTEGER NOT NULL)""",
        # The offers given in the review's window (a few percent of the log), in log order.
        'CREATE INDEX touchpoint_offer_on ON touchpoint ("on", id, offer_id, contact_id, kind) WHERE offer_id IS NOT NULL',
        f"INSERT INTO touch_day (day, touches, outbound, inbound) {TOUCH_DAYS_M011}",
        f"INSERT INTO expected_reply (touch_id, contact_id, out_on, reply_on, next_out_on) {EXPECTED_REPLIES_M011}",
        f"INSERT INTO reply_day (day, asks, answered) {REPLY_DAYS_M011}",
        f"""CREATE TRIGGER touchpoint_review_insert AFTER INSERT ON touchpoint BEGIN
            {_touch_day_m011("NEW", "+")}
            {_expected_reply_m011("NEW")}
            {_replies_around_m011("NEW")}
        END""",
        f"""CREATE TRIGGER touchpoint_review_delete AFTER DELETE ON touchpoint BEGIN
            {_touch_day_m011("OLD", "-")}
            DELETE FROM expected_reply WHERE touch_id = OLD.id;
            {_replies_around_m011("OLD")}
        END""",
        f"""CREATE TRIGGER touchpoint_review_update AFTER UPDATE OF contact_id, "on", kind, direction
            ON touchpoint BEGIN
            {_touch_day_m011("OLD", "-")}
            {_touch_day_m011("NEW", "+")}
            DELETE FROM expected_reply WHERE touch_id = OLD.id;
            {_expected_reply_m011("NEW")}
            {_replies_around_m011("OLD")}
            {_replies_around_m011("NEW")}
        END""",
        f"""CREATE TRIGGER expected_reply_insert AFTER INSERT ON expected_reply BEGIN
            {_reply_day_m011("NEW", "+")}
        END""",
        f"""CREATE TRIGGER expected_reply_delete AFTER DELETE ON expected_reply BEGIN
            {_reply_day_m011("OLD", "-")}
        END""",
        f"""CREATE TRIGGER expected_reply_update AFTER UPDATE ON expected_reply
            WHEN OLD.out_on IS NOT NEW.out_on OR {_answered_m011("OLD")} != {_answered_m011("NEW")} BEGIN
            {_reply_day_m011("OLD", "-")}
            {_reply_day_m011("NEW", "+")}
        END""",
    ),
)

M012_CARD_FINGERPRINT = Migration(
    12,
    "m012_card_fingerprint",
    (
        # Per contact, the last card an import found to change nothing (or made it from), by a
        # digest of its bytes, with a digest of the contact's stored rows then
        # (`crm.store.fingerprints`): an unchanged re-import skips reading such a card while the
        # contact's rows still give that digest. A cache, empty at first: a row that no longer
        # fits is simply not used.
        """CREATE TABLE card_fingerprint (
            contact_id INTEGER PRIMARY KEY REFERENCES contact (id) ON DELETE CASCADE,
            digest BLOB NOT NULL,
            state BLOB NOT NULL)""",
    ),
)


MIGRATIONS: tuple[Migration, ...] = (
    M001_INITIAL, M002_TOUCHPOINTS, M003_CADENCE, M004_MAIL, M005_PITCH, M006_CONVERSATION, M007_IDENTITY,
    M008_SYNC, M009_TOUCH_SUMMARY, M010_LISTING_INDEX, M011_REVIEW_SUMMARY, M012_CARD_FINGERPRINT,
)
LATEST_VERSION = MIGRATIONS[-1].version
