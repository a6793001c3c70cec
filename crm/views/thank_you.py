"""The thank-you after an interview round: what makes it theirs and what you add.

Pure words (the round's name, the line specific to them, the points you meant to make) and one
loader (`load_details`) of what only the database knows: the round, their title, the notes you
logged on the application to them after the round, your pitch, and for a handwritten card
their postal address. `crm.views.drafts` puts them in the thank-you templates.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from crm.cadence import settings
from crm.text import and_list as listing


@dataclass(frozen=True)
class ThankYouDetails:
    """The `DraftFacts` fields a thank-you adds (same names)."""

    round_number: int | None = None
    title: str = ""
    forgotten: tuple[str, ...] = ()
    pitch: str = ""
    handwritten: bool = False
    full_name: str = ""
    postal_address: tuple[str, ...] = ()


# ---- words ----------------------------------------------------------------------------------


_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")


def round_name(number: int | None) -> str:
    """'first-round interview', ..., 'round-11 interview'; 'interview' when the round is unknown."""
    if number is None or number < 1:
        return "interview"
    if number <= len(_ORDINALS):
        return f"{_ORDINALS[number - 1]}-round interview"
    return f"round-{number} interview"


def sentence(text: str) -> str:
    """A user's text as one sentence: trimmed, single spaces, a full stop unless it has its own."""
    text = " ".join(text.split())
    return text if not text or text[-1] in ".!?" else text + "."


def specific_to_them(interests: tuple[str, ...], title: str) -> str:
    """The line that makes a thank-you theirs (two interviewers never get the same text): the
    interests you share, else their title; '' when nothing is known."""
    if interests:
        return f"It was good to find that we share an interest in {listing(interests)}."
    if title:
        return f"I valued hearing your perspective as {title}."
    return ""


def forgotten_text(forgotten: tuple[str, ...], short: bool = False) -> str:
    """The point(s) you meant to make, from notes logged after the round: one sentence, or a
    list; on a card only the first."""
    notes = [sentence(note) for note in forgotten if note.strip()]
    if not notes:
        return ""
    if short:
        return f"One thing I meant to add: {notes[0]}"
    if len(notes) == 1:
        return f"One thing I did not get to say in the interview: {notes[0]}"
    return "A few things I did not get to say in the interview:\n" + "\n".join(f"- {note}" for note in notes)


# ---- loading -------------------------------------------------------------------------------


_THANKED_ROUND = """
SELECT r.number, r."on" FROM interview_round r
JOIN round_interviewer ri ON ri.round_id = r.id AND ri.contact_id = :contact
WHERE r.application_id = :application AND r."on" < :next
ORDER BY (substr(r."on", 1, 10) = :round_day) DESC, r."on" DESC, r.number DESC
LIMIT 1
"""

# Notes on the application, to this contact, from the round's day up to the first real touch
# to them after it (the thank-you): what you meant to say.
_FORGOTTEN = """
SELECT note FROM touchpoint
WHERE contact_id = :contact AND application_id = :application AND kind = 'note' AND note != ''
  AND substr("on", 1, 10) >= :round_day AND "on" < :next
  AND "on" < coalesce((SELECT min(t."on") FROM touchpoint t WHERE t.contact_id = :contact
                       AND t.direction = 'out' AND t.kind NOT IN ({not_a_touch})
                       AND substr(t."on", 1, 10) >= :round_day), '9999')
ORDER BY "on", id
"""

_LAST_CHANNEL = """
SELECT via FROM touchpoint WHERE contact_id = :contact AND via IS NOT NULL AND direction = 'out' AND "on" < :next
ORDER BY "on" DESC, id DESC LIMIT 1
"""


def load_details(contact_id: int, application_id: int | None, round_day: date, as_of: date,
                 via: str | None = None, round_number: int | None = None) -> ThankYouDetails:
    """What the database knows for a thank-you beyond the suggestion: the round (the one of
    theirs on `round_day`, else their latest), their title, the notes logged on the application
    to them after that round and before the thank-you, the pitch (the application's, else
    yours), and for a card (`via`, else the channel of the last touch you logged to them) their
    postal address.
    """
    from crm.formats.vcard.address import postal_address
    from crm.store.me import pitch_for
    from crm.store.models import Contact, ExtraProperty, database

    contact = Contact.get_by_id(contact_id)
    params = {"contact": contact_id, "application": application_id,
              "next": (as_of + timedelta(days=1)).isoformat(), "round_day": round_day.isoformat()}
    not_a_touch = settings.NOT_A_TOUCH_SQL

    def rows(sql: str):
        return database.execute_sql(sql, {k: v for k, v in params.items() if f":{k}" in sql}).fetchall()

    forgotten: tuple[str, ...] = ()
    if application_id is not None:
        found = rows(_THANKED_ROUND)
        if found:
            round_number = found[0][0]
            params["round_day"] = str(found[0][1])[:10]
        forgotten = tuple(note for (note,) in rows(_FORGOTTEN.format(not_a_touch=not_a_touch)))
    if via is None:
        last = rows(_LAST_CHANNEL)
        via = last[0][0] if last else None
    handwritten = via == "handwritten"
    address: tuple[str, ...] = ()
    if handwritten:
        lines = [line for (line,) in ExtraProperty.select(ExtraProperty.line)
                 .where(ExtraProperty.contact == contact_id).order_by(ExtraProperty.position).tuples()]
        address = postal_address(lines)
    return ThankYouDetails(round_number, contact.title.strip(), forgotten, pitch_for(application_id), handwritten,
                           contact.display_name, address)
