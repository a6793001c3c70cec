"""Typos in a draft or any text you wrote (`crm draft --check`, `crm proofread`).

A maintained offline spell checker (pyspellchecker, which ships word-frequency dictionaries
for en, es, de, fr and pt) with a personal dictionary built from what you know: your contacts'
names, organisations, titles and interests and your applications' positions, so "Lindqvist"
and "Kubernetes" are not typos. pyspellchecker is imported only here, when a check runs.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

from crm.errors import InvalidInput
from crm.shapes import Typo

LANGUAGES: tuple[str, ...] = ("en", "es", "de", "fr", "pt")
MAX_SUGGESTIONS = 5

# A word: letters, with inner apostrophes ("don't", "Björn's"); digits and hyphens split words.
_WORD = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*")
# Not prose: web addresses and e-mail addresses are blanked out before looking for words.
_NOT_PROSE = re.compile(r"https?://\S+|www\.\S+|\S+@\S+\.\S+")


@dataclass(frozen=True)
class Flag:
    word: str
    line: int  # 1-based
    column: int  # 1-based, in characters
    offset: int  # 0-based, in characters from the start of the text
    suggestions: tuple[str, ...]

    def to_json(self) -> Typo:
        return {"word": self.word, "line": self.line, "column": self.column, "offset": self.offset,
                "suggestions": list(self.suggestions)}


def language(value: str | None) -> str:
    """CRM_LANG's value as one of LANGUAGES ('en_GB.UTF-8' is 'en'); unset is 'en'."""
    if not value:
        return "en"
    code = re.split(r"[_.@-]", value.strip(), maxsplit=1)[0].lower()
    if code not in LANGUAGES:
        raise InvalidInput(f"CRM_LANG={value!r} is not a language the checker has; use one of {', '.join(LANGUAGES)}")
    return code


@lru_cache(maxsize=None)
def _checker(lang: str):
    from spellchecker import SpellChecker

    return SpellChecker(language=lang)


def words_of(text: str) -> list[str]:
    return _WORD.findall(text)


def personal_dictionary(extra: Iterable[str] = ()) -> frozenset[str]:
    """Lower-cased words from your contacts' names, organisations, titles and interests, your
    applications' positions, and `extra` (the name a draft is signed with)."""
    from crm.store.models import database

    texts = list(extra)
    for sql in (
        "SELECT display_name || ' ' || given_name || ' ' || family_name || ' ' || nickname || ' ' || title"
        " || ' ' || department FROM contact",
        "SELECT name FROM organisation",
        "SELECT name FROM interest",
        "SELECT position FROM application",
    ):
        texts += [row[0] for row in database.execute_sql(sql).fetchall() if row[0]]
    return frozenset(word.casefold() for text in texts for word in words_of(text))


def proofread(text: str, lang: str, personal: frozenset[str] = frozenset()) -> list[Flag]:
    """The words of `text` neither the dictionary of `lang` nor `personal` knows, in order."""
    checker = _checker(lang)
    prose = _NOT_PROSE.sub(lambda m: " " * len(m.group(0)), text)
    flags = []
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
    for match in _WORD.finditer(prose):
        word = match.group(0)
        if len(word) < 2 or (word.isupper() and len(word) <= 5):  # "I", acronyms
            continue
        if _known(word, checker, personal):
            continue
        offset = match.start()
        line = _line_of(line_starts, offset)
        flags.append(Flag(word, line + 1, offset - line_starts[line] + 1, offset, _suggest(word, checker)))
    return flags


def _known(word: str, checker, personal: frozenset[str]) -> bool:
    key = word.casefold().replace("\u2019", "'")
    candidates = [key]
    if key.endswith("'s"):
        candidates.append(key[:-2])
    if "'" in key:
        candidates += key.split("'")
    return any(c in personal or not checker.unknown([c]) for c in candidates if c)


# Two edits away is a large search for a long word (hundreds of thousands of strings); a typo in
# a long word is almost always one edit away.
MAX_LENGTH_FOR_TWO_EDITS = 5


def _suggest(word: str, checker) -> tuple[str, ...]:
    key = word.casefold()
    found = checker.known(checker.edit_distance_1(key))
    if not found and len(key) <= MAX_LENGTH_FOR_TWO_EDITS:
        found = checker.known(checker.edit_distance_2(key))
    ranked = sorted(found, key=lambda w: (-checker.word_usage_frequency(w), w))
    if word[:1].isupper():
        ranked = [w[:1].upper() + w[1:] for w in ranked]
    return tuple(w for w in ranked[:MAX_SUGGESTIONS] if w.casefold() != word.casefold())


def _line_of(line_starts: list[int], offset: int) -> int:
    low, high = 0, len(line_starts) - 1
    while low < high:
        middle = (low + high + 1) // 2
        if line_starts[middle] <= offset:
            low = middle
        else:
            high = middle - 1
    return low


def format_flags(flags: list[Flag], name: str) -> str:
    """One line per flagged word: `name:line:column: word (did you mean: a, b?)`."""
    lines = []
    for flag in flags:
        hint = f" (did you mean: {', '.join(flag.suggestions)}?)" if flag.suggestions else ""
        lines.append(f"{name}:{flag.line}:{flag.column}: {flag.word}{hint}")
    return "\n".join(lines)
