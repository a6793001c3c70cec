"""Import speed and memory against bare vobject parsing of the same file.

Baseline: `vobject.readComponents` parsing the same file and touching every card (no database).
Target (issue 15, tightening issue 2's 1.25x and 400 MB): the whole `crm import` process, database
writes included, takes at most 0.4x the baseline, with peak memory under 300 MB at 100k cards.

    python bench/bench_import.py                  # 10k and 100k cards, 3 turns each
    python bench/bench_import.py --cards 20000    # one size
    python bench/bench_import.py --repeat 1       # one turn (quicker, at the mercy of drift)
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import CRM, crm_env, measure_cpu, scratch  # noqa: E402
from gen_addressbook import generate  # noqa: E402

BARE_VOBJECT = (
    "import sys, vobject\n"
    "text = open(sys.argv[1], encoding='utf-8').read()\n"
    "n = 0\n"
    "for card in vobject.readComponents(text):\n"
    "    n += 1\n"
)


def address_book(cards: int, seed: int = 1) -> Path:
    """The generated book (cached under bench/out/), with its seeded pairs in `<file>.pairs.json`."""
    path = scratch(f"ab-{cards}-s{seed}.vcf")
    sidecar = Path(str(path) + ".pairs.json")
    if not (path.exists() and sidecar.exists()):
        pairs: list[dict] = []
        with open(path, "w", encoding="utf-8", newline="") as handle:
            for chunk in generate(cards, seed=seed, dupes=0.05, photos=0.05, pairs=pairs):
                handle.write(chunk)
        sidecar.write_text(json.dumps({"seed": seed, "cards": cards, "pairs": pairs}), encoding="utf-8")
    return path


def bench(cards: int, repeat: int) -> None:
    path = address_book(cards)
    size_mb = path.stat().st_size / 2**20
    db = scratch(f"import-{cards}.db")
    bare: list[tuple[float, float, float]] = []
    new: list[tuple[float, float, float]] = []
    again: list[tuple[float, float, float]] = []
    # Taken in turns, so that a machine that speeds up or slows down over the minutes (a VM
    # does, by a fifth) moves each column alike: the ratio of the medians is the figure.
    for _ in range(repeat):
        bare.append(measure_cpu([sys.executable, "-c", BARE_VOBJECT, str(path)]))
        for leftover in db.parent.glob(db.name + "*"):
            leftover.unlink()
        new.append(measure_cpu(CRM + ["import", str(path)], env=crm_env(db)))
        again.append(measure_cpu(CRM + ["import", str(path)], env=crm_env(db)))
    bare_s, bare_mb, bare_cpu = _medians(bare)
    crm_s, crm_mb, crm_cpu = _medians(new)
    again_s, again_mb, again_cpu = _medians(again)
    # On a machine shared with other work the wall times stretch unevenly: the CPU ratios are
    # what each process cost (the load average says how shared it was).
    print(f"{cards:>7} cards ({size_mb:.1f} MB), medians of {repeat} run(s) each, taken in turns,"
          f" load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"  bare vobject.readComponents : {bare_s:7.2f} s  {cards / bare_s:8.0f} cards/s  peak {bare_mb:6.0f} MB"
          f"  cpu {bare_cpu:6.2f} s")
    print(f"  crm import (new database)   : {crm_s:7.2f} s  {cards / crm_s:8.0f} cards/s  peak {crm_mb:6.0f} MB"
          f"  cpu {crm_cpu:6.2f} s  ratio {crm_s / bare_s:.2f}x, cpu {crm_cpu / bare_cpu:.2f}x"
          " (target <= 0.4x, < 300 MB)")
    print(f"  crm import again (unchanged): {again_s:7.2f} s  {cards / again_s:8.0f} cards/s  peak {again_mb:6.0f} MB"
          f"  cpu {again_cpu:6.2f} s  ratio {again_s / bare_s:.2f}x, cpu {again_cpu / bare_cpu:.2f}x")
    if repeat > 1:
        ratios = sorted(n[0] / b[0] for n, b in zip(new, bare))
        print(f"  ratio of each turn           : {', '.join(f'{r:.2f}x' for r in ratios)}")


def _medians(runs: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    return tuple(statistics.median(column) for column in zip(*runs))  # type: ignore[return-value]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cards", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each, taken in turns (default 3)")
    args = parser.parse_args()
    for cards in args.cards:
        bench(cards, max(1, args.repeat))


if __name__ == "__main__":
    main()
