"""Mail import speed and memory on a generated mbox, against a bare read of the same file.

The mbox: 50,000 messages (by default) among 2,000 correspondents, 60 of whom are contacts;
half sent by you, half received; some with a few hundred KB attachment. Baseline, measured in
the same run: Python's own `mailbox.mbox` iterating the messages and reading From, To and
Subject (no database, no decoding). Targets (issue 13): `crm mail import` runs at >= 3,000
messages/s end to end with peak memory < 150 MB, and a second run with nothing new takes under
a third of the first.

    python bench/bench_mail.py                      # 50,000 messages
    python bench/bench_mail.py --messages 200000    # memory must stay flat
"""
from __future__ import annotations

import argparse
import base64
import os
import random
import sys
from email.utils import format_datetime
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import CRM, crm_env, measure, scratch  # noqa: E402

# Like common.measure, plus the CPU seconds the process used: on a shared machine the wall
# clock says as much about the neighbours as about crm, so both are printed.
_MEASURE_CPU = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n"
    "e = time.perf_counter() - t\n"
    "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "sys.stderr.write(r.stderr.decode(errors='replace')[-2000:] if r.returncode else '')\n"
    "print(e, u.ru_utime + u.ru_stime, u.ru_maxrss / 1024, r.returncode)\n"
)


def measure_cpu(cmd: list[str], env: dict | None = None) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak RSS in MB) of `cmd` run as its own process."""
    import subprocess

    out = subprocess.run([sys.executable, "-c", _MEASURE_CPU, *cmd], env=env, capture_output=True, text=True)
    wall, cpu, mb, rc = out.stdout.split()
    if rc != "0":
        raise SystemExit(f"{' '.join(cmd)} exited {rc}: {out.stderr}")
    return float(wall), float(cpu), float(mb)

ME = "me@home.example"
BARE_MAILBOX = (
    "import mailbox, sys\n"
    "n = 0\n"
    "for m in mailbox.mbox(sys.argv[1]):\n"
    "    m['From'], m['To'], m['Subject']\n"
    "    n += 1\n"
)


def correspondents(count: int = 2000) -> list[tuple[str, str]]:
    rng = random.Random(7)
    given = ["Ada", "Björn", "Élodie", "Chiamaka", "Omar", "Priya", "Kenji", "Zoë", "Liam", "Maya", "Noor", "Ivan"]
    family = ["Lovelace", "Lindqvist", "Moreau", "Okafor", "Haddad", "Raman", "Sato", "Ødegård", "Ng", "Silva"]
    people = []
    for i in range(count):
        first, last = rng.choice(given), rng.choice(family)
        people.append((f"{first} {last}", f"{first.lower()}.{i}@org{i % 300}.example".encode("ascii", "ignore").decode()))
    return people


def generate(path: Path, messages: int, people: list[tuple[str, str]]) -> None:
    rng = random.Random(13)
    start = datetime(2025, 1, 1, 8, 0, tzinfo=timezone.utc)
    attachment = base64.encodebytes(bytes(rng.getrandbits(8) for _ in range(300 * 1024)))
    with open(path, "wb") as out:
        for n in range(messages):
            when = start + timedelta(minutes=11 * n)
            name, address = rng.choice(people)
            outbound = n % 2 == 0
            sender, to = (ME, f"{name} <{address}>") if outbound else (f"=?utf-8?q?{_q(name)}?= <{address}>", ME)
            header = (
                f"From: {sender}\nTo: {to}\nSubject: Re: catching up #{n}\n"
                f"Date: {format_datetime(when)}\nMessage-ID: <m{n}@bench.example>\nMIME-Version: 1.0\n"
            )
            out.write(f"From bench {when:%a %b %d %H:%M:%S %Y}\n".encode())
            if n % 500 == 0:
                out.write((header + 'Content-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: text/plain\n\n'
                           "See attached.\n--b\nContent-Type: application/pdf\nContent-Transfer-Encoding: base64\n\n"
                           ).encode("utf-8") + attachment + b"--b--\n\n")
            else:
                out.write((header + "Content-Type: text/plain; charset=utf-8\n\n"
                           "Hi,\n\nThanks for the chat last week. Talk soon.\n\n").encode("utf-8"))


def _q(text: str) -> str:
    return "".join(ch if ch.isascii() and ch.isalnum() else "_" if ch == " " else
                   "".join(f"={b:02X}" for b in ch.encode()) for ch in text)


def address_book(path: Path, people: list[tuple[str, str]]) -> None:
    with open(path, "w", encoding="utf-8") as out:
        for name, address in people[::len(people) // 60][:60]:
            out.write(f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:{name}\r\nEMAIL:{address}\r\nEND:VCARD\r\n")


def bench(messages: int) -> None:
    people = correspondents()
    box = scratch(f"mail-{messages}.mbox")
    if not box.exists():
        generate(box, messages, people)
    book = scratch("mail-contacts.vcf")
    address_book(book, people)
    db = scratch(f"mail-{messages}.db")
    for leftover in db.parent.glob(db.name + "*"):
        leftover.unlink()
    env = crm_env(db)
    measure(CRM + ["import", str(book)], env=env)
    measure(CRM + ["me", ME], env=env)
    size_mb = box.stat().st_size / 2**20
    bare_s, bare_cpu, bare_mb = measure_cpu([sys.executable, "-c", BARE_MAILBOX, str(box)])
    first_s, first_cpu, first_mb = measure_cpu(CRM + ["mail", "import", str(box)], env=env)
    again_s, again_cpu, again_mb = measure_cpu(CRM + ["mail", "import", str(box)], env=env)
    touches = measure_touches(db)
    print(f"{messages} messages ({size_mb:.0f} MB mbox), 60 contacts among {len(people)} correspondents,"
          f" {touches} touches logged; os.getloadavg() = {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print("                                     wall     msg/s   CPU s  msg/CPU-s   peak")
    for label, wall, cpu, mb in (("baseline mailbox.mbox read", bare_s, bare_cpu, bare_mb),
                                 ("crm mail import (first run)", first_s, first_cpu, first_mb),
                                 ("crm mail import (nothing new)", again_s, again_cpu, again_mb)):
        print(f"  {label:<31}  {wall:6.2f} s  {messages / wall:7.0f}  {cpu:6.2f}  {messages / cpu:9.0f}  {mb:4.0f} MB")
    print(f"  ratios: first run / baseline {first_s / bare_s:.2f}x wall, {first_cpu / bare_cpu:.2f}x CPU;"
          f" second run / first {again_s / first_s:.2f}x wall, {again_cpu / first_cpu:.2f}x CPU (target < 0.33x)")
    print(f"  targets: >= 3000 msg/s: {messages / first_s:.0f} wall, {messages / first_cpu:.0f} per CPU-second;"
          f" < 150 MB: {first_mb:.0f} MB")


def measure_touches(db: Path) -> int:
    import sqlite3

    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT COUNT(*) FROM touchpoint").fetchone()[0]
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=50_000)
    bench(parser.parse_args().messages)


if __name__ == "__main__":
    main()
