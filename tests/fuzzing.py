"""Example budgets for hypothesis and seeded-random tests (profiles: tests/conftest.py).

A test states the budget that keeps the default run fast; the fuzz profile multiplies it:

    @settings(max_examples=examples(25), deadline=None)
    @pytest.mark.parametrize("seed", seeds(5))   # 0..4 by default; random (and shown in the id) when fuzzing
"""
from __future__ import annotations

import os
import random

from hypothesis import settings


def factor() -> int:
    """How many times the default budget a fuzz run spends (CRM_FUZZ_FACTOR, default 20)."""
    return max(1, int(os.environ.get("CRM_FUZZ_FACTOR", "20")))


def fuzzing() -> bool:
    return settings.get_current_profile_name() == "fuzz"


def examples(n: int) -> int:
    """`n` examples in the default run; `n * factor()` under the fuzz profile."""
    return n * factor() if fuzzing() else n


def run_seed() -> int:
    """One seed per fuzz run (CRM_FUZZ_SEED, else chosen by tests/conftest.py and shown in the
    header): every xdist worker must collect the same test ids."""
    return int(os.environ["CRM_FUZZ_SEED"])


def seeds(n: int) -> list[int]:
    """Seeds for a seeded-random test: 0..n-1 in the default run, `n * factor()` random ones when
    fuzzing (each in the test id: replay one with `-k`, or the whole run with CRM_FUZZ_SEED)."""
    if not fuzzing():
        return list(range(n))
    return random.Random(run_seed()).sample(range(10**9), n * factor())
