"""Make tests/data/crm-v1.db: a database as the very first schema (m001 alone) left it.

    python tests/make_v1_db.py

The file is committed; this script is here so anyone can see (and re-make) exactly what is in
it. It uses only the frozen m001 statements and plain sqlite3 -- never the models, which
describe the latest schema -- so the file stays what a v1 crm would have written.
tests/test_upgrade.py upgrades a copy and checks every row below survived.
"""
from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crm.store.migrations import M001_INITIAL  # noqa: E402

TARGET = Path(__file__).resolve().parent / "data" / "crm-v1.db"
STAMP = "2025-03-01T09:30:00"

ORGANISATIONS = [
    (1, "Ærø Systems", "aero systems"),
    (2, "Société Générale d'Électronique", "societe generale d'electronique"),
    (3, "株式会社テスト", "株式会社テスト"),
]

# id, display, given, family, additional, prefix, suffix, nickname, name_key, org, department, title,
# role, notes, bday (year, month, day), uid
CONTACTS = [
    (1, "Zoë Ødegård", "Zoë", "Ødegård", "", "", "", "Zo", "zoe odegard", 1, "Talent", "Senior Recruiter",
     "recruiter", "Met at the Oslo meetup.\nPrefers email; replies within a day.", (1988, 2, 29),
     "urn:uuid:0b6a1d2e-5c1f-4a59-9f0c-1e2d3c4b5a69"),
    (2, "José Ñúñez-García", "José", "Ñúñez-García", "María", "Dr.", "PhD", "", "jose nunez-garcia", 2,
     "R&D", "Hiring Manager", "hiring-manager", "Ask about the «embedded» team.", (None, 12, 24), "jose-1"),
    (3, "王小明", "小明", "王", "", "", "", "", "王小明", 3, "", "エンジニア", "interviewer",
     "Interviewed me (round 2) — friendly.", None, None),
    (4, "Łukasz Żółć", "Łukasz", "Żółć", "", "", "Jr.", "Luke", "lukasz zolc", None, "", "", "mentor",
     "", None, "urn:uuid:44444444-4444-4444-4444-444444444444"),
    (5, "Siobhán O'Brien", "Siobhán", "O'Brien", "", "Ms", "", "", "siobhan o'brien", 1, "", "Engineer",
     "peer", 'Quotes "inside" notes; semicolons; commas, and a tab\there.', (1990, 7, 1), None),
    (6, "Renée Ça Va", "Renée", "Ça Va", "", "", "", "", "renee ca va", None, "", "", "other", "", None, None),
]

# contact, medium, value, norm, kind, label, service, position
METHODS = [
    (1, "email", "Zoe@Aero.example", "zoe@aero.example", "work,pref", "", "", 0),
    (1, "email", "zoe.odegard@home.example", "zoe.odegard@home.example", "home", "", "", 1),
    (1, "email", "zoë@ünicode.example", "zoë@ünicode.example", "", "Ünicode", "", 2),
    (1, "phone", "+47 22 33 44 55", "722334455", "cell", "", "", 3),
    (1, "social", "https://www.linkedin.com/in/zoe-odegard/", "linkedin.com/in/zoe-odegard", "", "", "linkedin", 4),
    (2, "email", "jose@sge.example", "jose@sge.example", "work", "", "", 0),
    (2, "email", "JNG@Personal.Example", "jng@personal.example", "", "Perso", "", 1),
    (2, "phone", "+33 1 23 45 67 89", "123456789", "work", "", "", 2),
    (2, "url", "https://sge.example/~jose", "sge.example/~jose", "", "", "", 3),
    (3, "email", "wang@test.example.jp", "wang@test.example.jp", "", "", "", 0),
    (4, "email", "lukasz@example.pl", "lukasz@example.pl", "", "", "", 0),
    (4, "social", "xmpp:luke@jabber.example", "xmpp:luke@jabber.example", "", "", "xmpp", 1),
    (5, "phone", "(555) 010-9999", "550109999", "home", "", "", 0),
]

INTERESTS = [(1, "Chess"), (2, "Machine learning"), (3, "Café culture"), (4, "囲碁")]
CONTACT_INTERESTS = [
    (1, 1, "mentioned chess at the meetup"),
    (1, 3, ""),
    (2, 2, "runs the ML reading group"),
    (3, 4, ""),
    (5, 1, ""),
    (5, 2, ""),
]

# contact, position, line: vCard properties the model does not map, kept verbatim.
EXTRAS = [
    (1, 0, "ADR;TYPE=work:;;Storgata 1;Oslo;;0155;Norway"),
    (1, 1, "X-ABLabel:_$!<Other>!$_"),
    (1, 2, "PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDA=="),
    (2, 0, "X-SOCIALPROFILE;TYPE=twitter:https://twitter.com/jose"),
    (2, 1, "ANNIVERSARY:20100615"),
    (4, 0, "GEO:geo:52.2297,21.0122"),
    (4, 1, "item1.X-ABDATE:2019-05-01"),
    (4, 2, "item1.X-ABLabel:met"),
]


def build(target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        target.unlink()
    conn = sqlite3.connect(target)
    conn.execute("PRAGMA journal_mode = DELETE")  # one self-contained file in the repository
    with conn:
        for statement in M001_INITIAL.statements:
            conn.execute(statement)
        conn.execute(
            "INSERT INTO schema_migration (version, name, applied_at) VALUES (?, ?, ?)",
            (M001_INITIAL.version, M001_INITIAL.name, STAMP),
        )
        conn.executemany("INSERT INTO organisation (id, name, name_key) VALUES (?, ?, ?)", ORGANISATIONS)
        for (cid, display, given, family, additional, prefix, suffix, nickname, key, org, department,
             title, role, notes, bday, uid) in CONTACTS:
            year, month, day = bday or (None, None, None)
            conn.execute(
                "INSERT INTO contact (id, display_name, given_name, family_name, additional_names,"
                " name_prefix, name_suffix, nickname, name_key, organisation_id, department, title, role,"
                " notes, bday_year, bday_month, bday_day, uid, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (cid, display, given, family, additional, prefix, suffix, nickname, key, org, department,
                 title, role, notes, year, month, day, uid, STAMP, STAMP),
            )
        conn.executemany(
            "INSERT INTO contact_method (contact_id, medium, value, norm, kind, label, service, position)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            METHODS,
        )
        conn.executemany("INSERT INTO interest (id, name) VALUES (?, ?)", INTERESTS)
        conn.executemany(
            "INSERT INTO contact_interest (contact_id, interest_id, note) VALUES (?, ?, ?)", CONTACT_INTERESTS
        )
        conn.executemany("INSERT INTO extra_property (contact_id, position, line) VALUES (?, ?, ?)", EXTRAS)
    conn.execute("VACUUM")
    conn.close()


if __name__ == "__main__":
    build(TARGET)
    print(f"wrote {TARGET}")
