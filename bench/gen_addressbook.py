"""Seeded generator of realistic synthetic address books (vCard 3.0) for benchmarks.

    python bench/gen_addressbook.py --cards 100000 --seed 1 -o /tmp/ab.vcf [--dupes 0.05] [--photos 0.05]

Writes the cards (UTF-8, CRLF, folded at 75 octets) and a sidecar `<output>.pairs.json`
listing each seeded near-duplicate pair by UID. A duplicate is the same person again, later
in the file, with a different UID and no shared email, changed in one way: a typo in the
name, the name order swapped, another address at the same email domain, or a nickname for
the given name. Each shares either a phone or the email domain and organisation, so only
fuzzy matching can find it; apart from the seeded pairs no two cards share a name at the same
organisation or an email address. Importable: `generate(n, seed, dupes, photos)` yields card
texts.

Independent of crm.formats.vcard on purpose: it plays an outside client producing files for us.
"""
from __future__ import annotations

import argparse
import base64
import json
import random
import sys
import time
import unicodedata
import uuid
from typing import Iterator

GIVEN = [
    "José", "Zoë", "Søren", "Łukasz", "Björn", "François", "Małgorzata", "Jürgen", "Agnès",
    "Ólafur", "Chloé", "Åsa", "Siobhán", "Renée", "Ñuño", "Dvořák", "Gösta", "Mária", "Ivo",
    "Anna", "Robert", "William", "Elizabeth", "Katherine", "Michael", "Alexander", "Jennifer",
    "Daniel", "Priya", "Wei", "Kenji", "Fatima", "Oluwaseun", "Mateo", "Sofía", "Noah", "Emma",
    "Liam", "Olivia", "Lucas", "Mia", "Ethan", "Amara", "Hiroshi", "Ingrid", "Pål", "Nadia",
]
FAMILY = [
    "Müller", "Núñez", "Kowalski", "Østergaard", "Nguyễn", "Łukaszewicz", "García", "O'Brien",
    "Smith", "Johnson", "Brown", "Schröder", "Dubois", "Lefèvre", "Jørgensen", "Håkansson",
    "Wiśniewski", "Fernández", "Patel", "Chen", "Tanaka", "Okafor", "Rossi", "Bianchi",
    "Novák", "Svoboda", "Papadopoulos", "Yılmaz", "Kim", "Andersson", "Ó Súilleabháin",
    "van der Berg", "de la Cruz", "MacDonald", "Weiß", "Żukowski", "Ibáñez", "Lindqvist",
]
NICKNAMES = {
    "Robert": "Bob", "William": "Bill", "Elizabeth": "Liz", "Katherine": "Kate",
    "Michael": "Mike", "Alexander": "Alex", "Jennifer": "Jen", "Daniel": "Dan",
}
ORGS = [
    ("Acme Corp", "acme.example"), ("Globex", "globex.example"), ("Initech", "initech.example"),
    ("Umbrella, Inc.", "umbrella.example"), ("Müller & Söhne GmbH", "mueller-soehne.example"),
    ("Company, The", "thecompany.example"), ("Hooli", "hooli.example"),
    ("Société Générale d'Exemple", "sge.example"), ("Nørdisk Data A/S", "nordisk.example"),
    ("Stark Industries", "stark.example"), ("Wayne Enterprises", "wayne.example"),
    ("Cyberdyne Systems", "cyberdyne.example"), ("Vandelay Industries", "vandelay.example"),
    ("Żabka Polska", "zabka.example"), ("Tyrell Corp.", "tyrell.example"),
]
TITLES = [
    "Software Engineer", "Senior Recruiter", "Head of Talent", "VP, Engineering",
    "Engineering Manager", "Technical Recruiter", "CTO", "Product Manager", "Data Scientist",
    "Directrice générale", "Staff Engineer; Platform", "Talent Partner",
]
FREE_MAIL = ["gmail.example", "outlook.example", "proton.example", "web.example"]
CATEGORIES = ["Recruiters", "Former colleagues", "Conference", "Referrals", "Friends"]
NOTES = [
    "Met at PyCon, talked about hiring.",
    "Introduced by Ana; prefers email, not calls.",
    "Follow up in Q3\nAsked for a CV, cover letter and references.",
    "Knows the hiring manager, Sam.",
]


# Real address books hold thousands of distinct names and organisations: the pools above are
# widened with composed family names and organisations so that namesakes are as rare as in life
# (about 150k name combinations, ~400 organisations), not dozens per name.
GIVEN += [
    "Aarav", "Aiko", "Akosua", "Alejandro", "Amélie", "Ananya", "Andrés", "Anouk", "Arjun", "Astrid",
    "Beatriz", "Bongani", "Camille", "Chidi", "Dagny", "Dmitri", "Elif", "Emeka", "Esra", "Fabián",
    "Freya", "Gaëlle", "Giulia", "Hana", "Hélène", "Ibrahim", "Ife", "Inès", "Isabela", "Jakub",
    "Jiho", "Joaquín", "Kaito", "Karolina", "Kwame", "Lars", "Leïla", "Léon", "Linnea", "Lorenzo",
    "Magnús", "Malik", "Marisol", "Mathilde", "Mehmet", "Mei", "Mikael", "Milena", "Nikolai", "Noémie",
    "Ozan", "Paulína", "Rafael", "Ravi", "Rūta", "Saanvi", "Sakura", "Samuel", "Sebastián", "Signe",
    "Sven", "Tariq", "Thandiwe", "Tomás", "Valentina", "Viktor", "Wiktoria", "Xavier", "Yara", "Yusuf",
]
_STEMS = [
    "Berg", "Lund", "Kowal", "Nowak", "Wróbl", "Hoff", "Brand", "Eich", "Falk", "Gold", "Hart", "Kessel",
    "Lang", "Mos", "Reich", "Rosen", "Schwarz", "Stein", "Wald", "Weiß", "Zimmer", "Alvar", "Castell",
    "Ferrar", "Moren", "Santan", "Vill", "Dąbrow", "Jankow", "Lewand", "Petrov", "Sokol", "Volk",
    "Haddad", "Nakam", "Yamad", "Okon", "Adeyem", "Mbek", "Sørens",
]
_ENDINGS = ["", "mann", "er", "ski", "owicz", "son", "sen", "ström", "ez", "ini", "ova", "ura", "ek", "ola"]
FAMILY += [stem + ending for stem in _STEMS for ending in _ENDINGS]
_ORG_FIRST = [
    "Blue", "North", "Silver", "Quantum", "Maple", "Harbor", "Summit", "Cedar", "Atlas", "Nova",
    "Iron", "Lumen", "Orbit", "Pioneer", "Vertex", "Willow", "Zephyr", "Crimson", "Delta", "Echo",
]
_ORG_SECOND = ["Labs", "Systems", "Analytics", "Robotics", "Health", "Logistics", "Capital", "Media",
               "Foods", "Energy", "Software", "Networks", "Bank", "Studios", "Works", "Partners",
               "Biotech", "Mobility", "Security", "Games"]
ORGS += [(f"{a} {b}", f"{a.lower()}{b.lower()}.example") for a in _ORG_FIRST for b in _ORG_SECOND]


def _ascii(text: str) -> str:
    text = text.replace("ł", "l").replace("Ł", "L").replace("ø", "o").replace("Ø", "O")
    text = text.replace("ß", "ss").replace("æ", "ae").replace("đ", "d")
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in plain.lower() if c.isalnum() or c == "-") or "x"


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace(",", "\\,").replace(";", "\\;")


def _fold(line: str) -> str:
    data = line.encode("utf-8")
    if len(data) <= 75:
        return line
    chunks, start, size = [], 0, 75
    while start < len(data):
        end = min(start + size, len(data))
        while end < len(data) and data[end] & 0xC0 == 0x80:
            end -= 1
        chunks.append(data[start:end].decode("utf-8"))
        start, size = end, 74
    return "\r\n ".join(chunks)


def _typo(rng: random.Random, name: str) -> str:
    if len(name) < 4:
        return name + name[-1]
    i = rng.randrange(1, len(name) - 1)
    how = rng.randrange(3)
    if how == 0:  # swap two neighbours
        return name[:i] + name[i + 1] + name[i] + name[i + 2:]
    if how == 1:  # drop one
        return name[:i] + name[i + 1:]
    return name[:i] + name[i] + name[i:]  # double one


def _phone(rng: random.Random) -> str:
    country = rng.choice(["+1", "+44", "+49", "+33", "+48", "+45"])
    return f"{country} {rng.randrange(200, 999)} {rng.randrange(100, 999)} {rng.randrange(1000, 9999)}"


def _uid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _fresh_email(rng: random.Random, taken: set[str], local: str, domain: str) -> str:
    email = f"{local}@{domain}"
    while email in taken:
        email = f"{local}{rng.randrange(10, 10000)}@{domain}"
    taken.add(email)
    return email


def _person(rng: random.Random, taken: set) -> dict:
    """A new person: no two originals share (name, org) or any email address, so the only
    duplicates in a generated book are the seeded pairs."""
    while True:
        given, family = rng.choice(GIVEN), rng.choice(FAMILY)
        org, domain = rng.choice(ORGS)
        middle = ""
        if (given, family, org, middle) in taken:
            middle = rng.choice("ABCDEFGHIJKLMNOPRSTUVWZ") + "."
        if (given, family, org, middle) not in taken:
            taken.add((given, family, org, middle))
            break
    local = f"{_ascii(given)}.{_ascii(middle[:1]) + '.' if middle else ''}{_ascii(family)}"
    emails = [(_fresh_email(rng, taken, local, domain), "work")]
    if rng.random() < 0.6:
        emails.append((_fresh_email(rng, taken, f"{local}{rng.randrange(100)}", rng.choice(FREE_MAIL)), "home"))
    if rng.random() < 0.15:
        emails.append((_fresh_email(rng, taken, f"{_ascii(given)[0]}{_ascii(family)}", domain), "work"))
    return {
        "given": given, "middle": middle, "family": family, "org": org, "domain": domain,
        "title": rng.choice(TITLES), "emails": emails,
        "phones": [(_phone(rng), rng.choice(["cell", "work", "home"]))]
        + ([(_phone(rng), "work")] if rng.random() < 0.3 else []),
        "bday": (rng.randrange(1950, 2001), rng.randrange(1, 13), rng.randrange(1, 29))
        if rng.random() < 0.3 else None,
        "note": rng.choice(NOTES) if rng.random() < 0.25 else "",
        "categories": rng.sample(CATEGORIES, rng.randrange(0, 3)),
        "fn_order": "given-first",
    }


def _duplicate(rng: random.Random, original: dict, taken: set) -> tuple[dict, str]:
    twin = dict(original)
    twin["categories"] = []
    twin["note"] = ""
    domain = original["domain"]
    variant = rng.choice(["typo", "swapped-order", "other-email-same-domain", "nickname-same-phone"])
    fresh = f"{_ascii(original['given'])[:1]}{_ascii(original['family'])}{rng.randrange(10, 99)}"
    if variant == "typo":
        if rng.random() < 0.5:
            twin["family"] = _typo(rng, original["family"])
        else:
            twin["given"] = _typo(rng, original["given"])
        twin["emails"] = [(_fresh_email(rng, taken, fresh, domain), "work")]
        twin["phones"] = [(_phone(rng), "cell")]
    elif variant == "swapped-order":
        twin["given"], twin["family"] = original["family"], original["given"]
        twin["emails"] = [(_fresh_email(rng, taken, fresh, rng.choice(FREE_MAIL)), "home")]
        twin["phones"] = original["phones"][:1]
    elif variant == "other-email-same-domain":
        twin["emails"] = [(_fresh_email(rng, taken, fresh, domain), "work")]
        twin["phones"] = []
    else:
        twin["given"] = NICKNAMES.get(original["given"], original["given"][:1] + ".")
        twin["emails"] = [(_fresh_email(rng, taken, fresh, rng.choice(FREE_MAIL)), "home")]
        twin["phones"] = original["phones"][:1]
        twin["org"] = ""
    return twin, variant


def _photo(rng: random.Random) -> str:
    size = rng.randrange(1500, 3000)  # 2-4 KB once base64-encoded
    jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + rng.randbytes(size) + b"\xff\xd9"
    return base64.b64encode(jpeg).decode("ascii")


def _card(rng: random.Random, person: dict, uid: str, photo: bool) -> str:
    given, family = person["given"], person["family"]
    middle = person.get("middle", "")
    full = " ".join(part for part in (given, middle, family) if part)
    lines = ["BEGIN:VCARD", "VERSION:3.0", "PRODID:-//crm bench//gen_addressbook//EN",
             f"UID:{uid}", "FN:" + _escape(full),
             "N:" + ";".join(_escape(x) for x in (family, given, middle, "", ""))]
    if person["org"]:
        lines.append("ORG:" + _escape(person["org"]))
        lines.append("TITLE:" + _escape(person["title"]))
    for k, (email, kind) in enumerate(person["emails"]):
        pref = ";type=pref" if k == 0 else ""
        lines.append(f"EMAIL;type=INTERNET;type={kind.upper()}{pref}:{email}")
    for number, kind in person["phones"]:
        lines.append(f"TEL;type={kind.upper()};type=VOICE:{number}")
    if rng.random() < 0.2:
        # Profile URLs identify a person (the importer matches on them), so like LinkedIn's own
        # they carry a suffix that namesakes do not share.
        lines.append(f"item1.URL:https://www.linkedin.example/in/{_ascii(given)}-{_ascii(family)}-{uid[:8]}")
        lines.append("item1.X-ABLabel:_$!<HomePage>!$_")
    if rng.random() < 0.3:
        lines.append("ADR;type=WORK:;;" + _escape(f"{rng.randrange(1, 200)} Hauptstraße")
                     + ";" + _escape(rng.choice(["Köln", "Kraków", "Paris", "London", "Århus"]))
                     + ";;" + str(rng.randrange(10000, 99999)) + ";" + rng.choice(["DE", "PL", "FR"]))
    if person["bday"]:
        year, month, day = person["bday"]
        lines.append(f"BDAY:{year:04d}-{month:02d}-{day:02d}" if rng.random() < 0.8
                     else f"BDAY;X-APPLE-OMIT-YEAR=1604:1604-{month:02d}-{day:02d}")
    if person["note"]:
        lines.append("NOTE:" + _escape(person["note"]))
    if person["categories"]:
        lines.append("CATEGORIES:" + ",".join(_escape(c) for c in person["categories"]))
    if photo:
        lines.append("PHOTO;ENCODING=b;TYPE=JPEG:" + _photo(rng))
    lines.append("END:VCARD")
    return "".join(_fold(line) + "\r\n" for line in lines)


def generate(n: int, seed: int = 1, dupes: float = 0.05, photos: float = 0.05, *,
             pairs: list[dict] | None = None) -> Iterator[str]:
    """Yield `n` vCard 3.0 card texts. About `n * dupes` of them are near-duplicate copies of
    earlier cards; each such pair is appended to `pairs` (when given) as
    {"a": original UID, "b": copy UID, "variant": how the copy differs}."""
    rng = random.Random(seed)
    taken: set = set()  # identities and email addresses already handed out
    unpaired: list[tuple[dict, str]] = []  # originals still free to be duplicated
    for index in range(n):
        if unpaired and index > 10 and rng.random() < dupes:
            original, original_uid = unpaired.pop(rng.randrange(len(unpaired)))
            person, variant = _duplicate(rng, original, taken)
            uid = _uid(rng)
            if pairs is not None:
                pairs.append({"a": original_uid, "b": uid, "variant": variant})
        else:
            person, uid = _person(rng, taken), _uid(rng)
            unpaired.append((person, uid))
        yield _card(rng, person, uid, rng.random() < photos)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cards", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dupes", type=float, default=0.05, help="fraction of cards that are near-duplicates")
    parser.add_argument("--photos", type=float, default=0.05, help="fraction of cards with a photo")
    parser.add_argument("-o", "--output", required=True)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    pairs: list[dict] = []
    photos = 0
    with open(args.output, "wb") as out:
        for text in generate(args.cards, args.seed, args.dupes, args.photos, pairs=pairs):
            photos += "\r\nPHOTO;" in text
            out.write(text.encode("utf-8"))
    with open(args.output + ".pairs.json", "w", encoding="utf-8") as sidecar:
        json.dump({"seed": args.seed, "cards": args.cards, "pairs": pairs}, sidecar, indent=1)
    print(f"wrote {args.cards} cards ({len(pairs)} near-duplicate pairs, {photos} photos) to "
          f"{args.output} in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
