"""The briefing before an interview round (`crm brief`): who you will meet and how you know
them, the position, what earlier rounds covered, the timeline known so far, and the questions
to ask at the end (next steps and the timeline first).

`load_brief` reads the database as of a date (nothing dated after it counts) and returns the
documented JSON shape (docs/drafts-and-review.md); `format_brief` turns it into text.
"""
from __future__ import annotations

from datetime import date, timedelta

from crm.errors import NotFound
from crm.shapes import Brief

# Asked at the very end: the next steps and the timeline first, so the follow-up has a date.
QUESTIONS: tuple[str, ...] = (
    "What are the next steps after this round?",
    "When do you expect to decide, and when may I follow up if I have not heard by then?",
    "Is there anything in my background you would like me to say more about?",
    "What would success look like in this role after six months?",
    "What is the team working on next that you are most excited about?",
)
LAST_TOUCHES = 3

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def upcoming_round(as_of: date) -> int:
    """The application of the soonest round on or after `as_of` among open applications (the
    one to brief when `crm brief` is given no APPLICATION)."""
    from crm.store.models import database

    found = database.execute_sql(
        'SELECT r.application_id FROM interview_round r JOIN application a ON a.id = r.application_id'
        " WHERE (a.outcome IS NULL OR a.outcome = 'offer') AND r.\"on\" >= ?"
        ' ORDER BY r."on", r.application_id LIMIT 1',
        (as_of.isoformat(),),
    ).fetchone()
    if found is None:
        raise NotFound(f"no interview round on or after {as_of.isoformat()}; record one with"
                       " `crm interview CONTACT... --org ORG --position TITLE --on DATE`, or name an application")
    return found[0]


def load_brief(application_id: int, as_of: date) -> Brief:
    """The briefing for an application's next round on or after `as_of` (else its latest)."""
    from crm.store.applications import application_rows, stage_of
    from crm.store.me import pitch_for

    application = application_rows(ids=[application_id])[0]
    rounds = application["rounds"]
    if not rounds:
        raise NotFound(f"application #{application_id} has no interview round yet; record one with `crm interview`")
    ahead = sorted((r for r in rounds if r["on"][:10] >= as_of.isoformat()), key=lambda r: (r["on"], r["number"]))
    held = sorted((r for r in rounds if r["on"][:10] < as_of.isoformat()), key=lambda r: (r["on"], r["number"]))
    this_round = ahead[0] if ahead else held[-1]
    earlier = [r for r in held if r is not this_round]
    next_day = (as_of + timedelta(days=1)).isoformat()
    outcome_known = application["outcome"] and (application["outcome_on"] or "") < next_day
    people_ids = list(dict.fromkeys(this_round["interviewers"]))
    roles = {cid: "interviewer" for cid in people_ids}
    if application["recruiter"] is not None and application["recruiter"] not in roles:
        people_ids.append(application["recruiter"])
        roles[application["recruiter"]] = "recruiter"
    pitch = pitch_for(application_id)
    return {
        "as_of": as_of.isoformat(),
        "application": {
            "id": application_id,
            "org": application["org"],
            "position": application["position"],
            "stage": stage_of(application["outcome"] if outcome_known else None, len(held) + bool(ahead)),
            "pitch": pitch or None,
        },
        "round": {"number": this_round["number"], "on": this_round["on"], "reply_by": this_round["reply_by"],
                  "interviewers": this_round["interviewers"]},
        "people": [_person(cid, roles[cid], application_id, this_round, as_of) for cid in people_ids],
        "earlier_rounds": _earlier(application_id, earlier, this_round, next_day),
        "timeline": _timeline(application, held + ([this_round] if ahead else []), next_day, outcome_known),
        "questions": list(QUESTIONS),
    }


def _person(contact_id: int, role: str, application_id: int, this_round: dict, as_of: date) -> dict:
    from crm.store.applications import applications_of
    from crm.store.models import Contact, ContactInterest, Interest
    from crm.store.touchpoints import history

    contact = Contact.get_by_id(contact_id)
    next_day = (as_of + timedelta(days=1)).isoformat()
    touches = [t for t in history(contact_id) if t["on"] < next_day]
    how: list[str] = []
    for other in applications_of(contact_id):
        if "recruiter" in other["as"]:
            how.append("the recruiter for this application" if other["id"] == application_id
                       else f"recruiter for #{other['id']} {other['org']}: {other['position']}")
        rounds = [n for n in other["rounds"] if not (other["id"] == application_id and n == this_round["number"])]
        if rounds:
            listed = ", ".join(str(n) for n in rounds)
            how.append(f"interviewed you in round{'s' if len(rounds) > 1 else ''} {listed}"
                       f" of #{other['id']} {other['org']}: {other['position']}")
    real = [t for t in touches if t["kind"] != "note"]
    if real:
        first = real[0]
        how.append(f"first in touch on {short_day(first['on'], as_of)}: {touch_words(first)}")
    else:
        how.append(f"in your contacts since {short_day(contact.created_at[:10], as_of)}; no touches yet")
    interests = [
        {"name": name, "note": note or None}
        for name, note in Interest.select(Interest.name, ContactInterest.note).join(ContactInterest)
        .where(ContactInterest.contact == contact_id).order_by(Interest.name).tuples()
    ]
    return {
        "id": contact_id,
        "name": contact.display_name,
        "title": contact.title or None,
        "org": contact.organisation.name if contact.organisation_id else None,
        "role": role,
        "how_you_know": how,
        "shared_interests": sorted(interests, key=lambda i: i["name"].casefold()),
        "notes": contact.notes.strip() or None,
        "last_touches": list(reversed(touches[-LAST_TOUCHES:])),
    }


def _earlier(application_id: int, earlier: list[dict], this_round: dict, next_day: str) -> list[dict]:
    """Each earlier round with what it covered: the notes of touches on the application from
    that round's day to the next round's."""
    from crm.store.applications import contact_names
    from crm.store.models import database

    names = contact_names(cid for r in earlier for cid in r["interviewers"])
    records = []
    bounds = [r["on"][:10] for r in earlier[1:]] + [min(this_round["on"][:10], next_day)]
    for round_, until in zip(earlier, bounds):
        notes = database.execute_sql(
            'SELECT t."on", c.display_name, t.kind, t.note FROM touchpoint t JOIN contact c ON c.id = t.contact_id'
            ' WHERE t.application_id = ? AND t.note != \'\' AND substr(t."on", 1, 10) >= ? AND t."on" < ?'
            ' ORDER BY t."on", t.id',
            (application_id, round_["on"][:10], until),
        ).fetchall()
        records.append({
            "number": round_["number"],
            "on": round_["on"],
            "interviewers": [names.get(cid, f"#{cid}") for cid in round_["interviewers"]],
            "notes": [{"on": on, "contact": who, "kind": kind, "note": note} for on, who, kind, note in notes],
        })
    return records


def _timeline(application: dict, rounds: list[dict], next_day: str, outcome_known: bool) -> list[dict]:
    events = []
    for round_ in rounds:
        events.append({"on": round_["on"], "event": f"round {round_['number']}"})
        if round_["reply_by"]:
            events.append({"on": round_["reply_by"], "event": f"they said they would reply by then (round {round_['number']})"})
    if application["reply_by"] and all(r["reply_by"] != application["reply_by"] for r in rounds):
        events.append({"on": application["reply_by"], "event": "they said they would reply by then"})
    if outcome_known:
        events.append({"on": application["outcome_on"], "event": f"outcome: {application['outcome']}"})
    return sorted(events, key=lambda e: e["on"])


# ---- words ----------------------------------------------------------------------------------


def short_day(text: str, as_of: date) -> str:
    """'Thu 5 Mar' (with the year when not as_of's) and the time when there is one."""
    day = date.fromisoformat(str(text)[:10])
    words = f"{_WEEKDAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]}"
    if day.year != as_of.year:
        words += f" {day.year}"
    time = str(text)[11:16]
    return f"{words} {time}" if time else words


def relative(text: str, as_of: date) -> str:
    days = (date.fromisoformat(str(text)[:10]) - as_of).days
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days > 1:
        return f"in {days} days"
    return "yesterday" if days == -1 else f"{-days} days ago"


def touch_words(touch: dict) -> str:
    way = f" by {touch['via']}" if touch["via"] else ""
    if touch["kind"] == "note":
        return "your note"
    return f"{touch['kind']}{way}, {'from them' if touch['direction'] == 'in' else 'from you'}"


def format_brief(brief: Brief) -> str:
    as_of = date.fromisoformat(brief["as_of"])
    app, round_ = brief["application"], brief["round"]
    lines = [
        f"Briefing: round {round_['number']} for {app['position']} at {app['org']} (application #{app['id']}),"
        f" {short_day(round_['on'], as_of)} ({relative(round_['on'], as_of)})",
        "",
        f"Position    {app['position']} at {app['org']} ({app['stage']})",
        f"Your pitch  {app['pitch']}" if app["pitch"] else "Your pitch  none yet: crm me --pitch TEXT (one sentence: what you bring)",
    ]
    if brief["timeline"]:
        lines.append("Timeline    " + "; ".join(f"{short_day(e['on'], as_of)}: {e['event']}" for e in brief["timeline"]))
    if not any("reply by" in e["event"] for e in brief["timeline"]):
        lines.append("            no timeline known yet: ask for one at the end")
    lines += ["", "People"]
    for person in brief["people"]:
        where = " at ".join(filter(None, (person["title"], person["org"])))
        lines.append(f"  {person['name']}" + (f", {where}" if where else "") + f" ({person['role']})")
        for n, fact in enumerate(person["how_you_know"]):
            lines.append(f"    {'how you know them' if n == 0 else '':<17}  {fact}")
        if person["shared_interests"]:
            lines.append("    shared interests   " + ", ".join(
                i["name"] + (f" ({i['note']})" if i["note"] else "") for i in person["shared_interests"]))
        if person["notes"]:
            lines.append(f"    notes              {' '.join(person['notes'].split())}")
        if person["last_touches"]:
            for n, touch in enumerate(person["last_touches"]):
                said = f": {touch['note']}" if touch["note"] else ""
                lines.append(f"    {'last touches' if n == 0 else '':<17}  {short_day(touch['on'], as_of)}"
                             f" {touch_words(touch)}{said}")
        else:
            lines.append("    last touches       none")
    lines += ["", "Earlier rounds"]
    if not brief["earlier_rounds"]:
        lines.append("  none: this is the first")
    for earlier in brief["earlier_rounds"]:
        lines.append(f"  round {earlier['number']}, {short_day(earlier['on'], as_of)}, with {', '.join(earlier['interviewers'])}")
        for note in earlier["notes"]:
            lines.append(f"    {short_day(note['on'], as_of)} {note['kind']}, {note['contact']}: {note['note']}")
    lines += ["", "Questions to ask at the end"]
    lines += [f"  {n}. {question}" for n, question in enumerate(brief["questions"], 1)]
    return "\n".join(lines)
