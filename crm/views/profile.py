"""`crm show`: a contact and its neighbourhood, as one JSON-ready dict and as text.

The neighbourhood: organisation, role, interests, the applications they took part in, the
log, offers given and offers that would fit, people they could be introduced to, and the next
suggested touch (`next`, filled by the cadence engine through `next_touch` below).
"""
from __future__ import annotations

from datetime import date

from crm import shapes
from crm.store.applications import applications_of
from crm.store.contacts import contact_to_card
from crm.store.graph import intro_candidates, intro_rows
from crm.store.models import Contact, ContactInterest, Interest
from crm.store.offers import offers_given_to, offers_to_give
from crm.render import clean
from crm.store.touchpoints import history

SHOW_INTRODUCTIONS = 5  # people `crm show` suggests introducing the contact to
SHOW_HISTORY = 10  # the newest touches `crm show` prints as text (JSON has them all)


def next_touch(contact: Contact, today: date) -> shapes.NextTouch | None:
    """The next suggested touch for this contact within a year, or None.

    `crm show --json` prints it as "next": the `crm today --json` shape plus "on" (the day it is
    first suggested) and "summary" (one line for the terminal). Only this contact and the people
    on its applications are loaded, so it stays fast in a large database.
    """
    from datetime import timedelta

    from crm.cadence.engine import next_for
    from crm.cadence.snapshot import load_snapshot

    snapshot = load_snapshot(today, today + timedelta(days=365), around=contact.id)
    found = next_for(snapshot, contact.id, today, 366)
    if found is None:
        return None
    day, suggestion = found
    return {
        "on": day.isoformat(),
        **suggestion.to_json(),
        "summary": f"{suggestion.action} on {day.isoformat()}: {suggestion.reason}",
    }


def keep_warm_state(contact: Contact) -> shapes.KeepWarm:
    """Paused, snoozed-until, and the keep-warm interval with where it comes from (`crm show`
    and `crm cadence`, text and JSON)."""
    from crm.cadence.rules import interval_and_source

    interval, source = interval_and_source(contact.role, contact.cadence_days)
    snoozed = contact.snoozed_until
    return {
        "paused": bool(contact.paused),
        "snoozed_until": snoozed.isoformat() if hasattr(snoozed, "isoformat") else snoozed,
        "cadence_days": contact.cadence_days,
        "interval_days": interval,
        "source": source,
        "role_inferred": bool(contact.role_inferred),
    }


def keep_warm_text(state: shapes.KeepWarm, role: str) -> str:
    if state["interval_days"] is None:
        text = f"not on keep-warm (role {role})"
    elif state["source"] == "own":
        text = f"every {state['interval_days']} days (own interval)"
    else:
        text = f"every {state['interval_days']} days ({role} default)"
    if state["paused"]:
        text += "; paused until `crm resume`"
    if state["snoozed_until"]:
        text += f"; snoozed until {state['snoozed_until']}"
    return text


def contact_profile(contact: Contact, today: date) -> shapes.Profile:
    """Everything `crm show --json` prints (shape documented in docs/usage.md)."""
    card = contact_to_card(contact)
    notes_by_interest = dict(
        ContactInterest.select(Interest.name, ContactInterest.note)
        .join(Interest)
        .where(ContactInterest.contact == contact)
        .tuples()
    )
    return {
        "id": contact.id,
        "name": contact.display_name,
        "given_name": contact.given_name,
        "family_name": contact.family_name,
        "nickname": contact.nickname or None,
        "org": card.org or None,
        "department": contact.department or None,
        "title": contact.title or None,
        "role": contact.role,
        "emails": [{"value": t.value, "type": t.kind, "label": t.label} for t in card.emails],
        "phones": [{"value": t.value, "type": t.kind, "label": t.label} for t in card.phones],
        "urls": [{"value": t.value, "type": t.kind, "label": t.label} for t in card.urls],
        "socials": [{"value": t.value, "service": t.service, "label": t.label} for t in card.socials],
        "birthday": card.birthday.iso() if card.birthday else None,
        "notes": contact.notes or None,
        "interests": [{"name": name, "note": notes_by_interest.get(name) or None} for name in card.categories],
        "uid": contact.uid,
        "created_at": contact.created_at,
        "updated_at": contact.updated_at,
        "applications": applications_of(contact.id),
        "history": history(contact.id),
        "offers_given": offers_given_to(contact.id),
        "offers_to_give": offers_to_give(contact.id),
        "introductions": [
            {**row["b"], "shared_interests": row["shared_interests"]}
            for row in intro_rows(intro_candidates(SHOW_INTRODUCTIONS, contact_id=contact.id))
        ],
        "next": next_touch(contact, today),
        "keep_warm": keep_warm_state(contact),
    }


def format_profile(profile: dict) -> str:
    lines = [clean(profile["name"]) + f"  (#{profile['id']})"]

    def field(label: str, value) -> None:
        if value:
            lines.append(f"  {label:<11}{clean(value)}")

    field("org", " / ".join(v for v in (profile["org"], profile["department"]) if v))
    field("title", profile["title"])
    inferred = " (inferred from the title; `crm edit --role` to confirm)" if profile["keep_warm"]["role_inferred"] else ""
    field("role", profile["role"] + inferred if profile["role"] != "other" else "")
    field("keep-warm", keep_warm_text(profile["keep_warm"], profile["role"]))
    for kind in ("emails", "phones", "urls", "socials"):
        for item in profile[kind]:
            extra = item.get("label") or item.get("type") or item.get("service") or ""
            field(kind[:-1], item["value"] + (f"  ({extra})" if extra else ""))
    field("birthday", profile["birthday"])
    field(
        "interests",
        ", ".join(i["name"] + (f" ({i['note']})" if i["note"] else "") for i in profile["interests"]),
    )
    if profile["notes"]:
        lines.append("  notes")
        lines.extend("    " + line for line in clean(profile["notes"], keep_newlines=True).split("\n"))
    if profile.get("next"):
        field("next", profile["next"].get("summary") or profile["next"])
    _section(lines, "applications", [
        f"#{a['id']} {a['org']}: {a['position']}  {a['stage']}  ({_part(a)})" for a in profile["applications"]
    ])
    touches = profile["history"]
    shown = touches[-SHOW_HISTORY:]
    title = "history"
    if len(shown) < len(touches):
        title += f" (last {len(shown)} of {len(touches)}; crm history for all)"
    _section(lines, title, [touch_line(t) for t in shown])
    _section(lines, "offers given", [
        f"#{o['id']} {o['kind']}: {o['title']}  (on {o['on']})" for o in profile["offers_given"]
    ])
    _section(lines, "offers to give", [
        f"#{o['id']} {o['kind']}: {o['title']}  ("
        + ("meant for them" if o["meant_for_them"] else "shares " + ", ".join(o["shared_interests"])) + ")"
        for o in profile["offers_to_give"]
    ])
    _section(lines, "could meet", [
        f"{p['name']} (#{p['id']}{', ' + p['org'] if p['org'] else ''})  shares {', '.join(p['shared_interests'])}"
        for p in profile["introductions"]
    ])
    return "\n".join(lines)


def _part(application: dict) -> str:
    parts = list(application["as"])
    if application["rounds"]:
        label = "round" if len(application["rounds"]) == 1 else "rounds"
        parts[-1] += f" in {label} " + ", ".join(str(n) for n in application["rounds"])
    return ", ".join(parts)


def _section(lines: list[str], title: str, items: list[str]) -> None:
    if items:
        lines.append(f"  {title}")
        lines.extend("    " + clean(item) for item in items)


def touch_line(touch: dict) -> str:
    """One log entry as text: '#12 2026-03-02T10:00 thank-you by email, out: note'."""
    text = f"#{touch['id']} {touch['on']}  {touch['kind']}"
    if touch["via"]:
        text += f" by {touch['via']}"
    text += ", from them" if touch["direction"] == "in" else ", from you"
    refs = [f"offer #{touch['offer']}" if touch["offer"] else "",
            f"app #{touch['application']}" if touch["application"] else ""]
    if any(refs):
        text += " [" + "; ".join(r for r in refs if r) + "]"
    if touch["note"]:
        text += f": {touch['note']}"
    return text
