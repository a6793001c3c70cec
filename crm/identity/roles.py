"""A role from a job title, only when the title says it clearly.

"Senior Technical Recruiter" and "Director, Talent Acquisition" are recruiters; "Hiring Manager,
Data" is a hiring manager; "Engineering Manager" says nothing about your search, so it stays
`other` for `crm triage`. Pure: a title in, a role or None out.
"""
from __future__ import annotations

import re
from functools import lru_cache

from crm.text import fold

# Whole words or phrases, matched on the folded title. Order matters: the first match wins.
_CLEAR_TITLES: tuple[tuple[str, str], ...] = (
    ("hiring manager", "hiring-manager"),
    ("recruiter", "recruiter"),
    ("talent acquisition", "recruiter"),
    ("sourcer", "recruiter"),
    ("people partner", "recruiter"),
)
_PATTERNS = tuple((re.compile(rf"\b{re.escape(phrase)}\b"), role) for phrase, role in _CLEAR_TITLES)


@lru_cache(maxsize=1 << 10)  # a book repeats its titles
def infer_role(title: str) -> str | None:
    """The role a clear title names, else None."""
    text = " ".join(fold(title).replace(",", " ").replace("-", " ").split())
    for pattern, role in _PATTERNS:
        if pattern.search(text):
            return role
    return None
