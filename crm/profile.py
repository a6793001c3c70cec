"""`crm show`: a contact and its neighbourhood, as one JSON-ready dict and as text."""
from __future__ import annotations

from datetime import date

from crm.contacts import contact_to_card
from crm.models import Contact, ContactInterest, Interest
from crm.render import clean


def contact_profile(contact: Contact, today: date) -> dict:
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
    }


def format_profile(profile: dict) -> str:
    lines = [clean(profile["name"]) + f"  (#{profile['id']})"]

    def field(label: str, value) -> None:
        if value:
            lines.append(f"  {label:<11}{clean(value)}")

    field("org", " / ".join(v for v in (profile["org"], profile["department"]) if v))
    field("title", profile["title"])
    field("role", profile["role"] if profile["role"] != "other" else "")
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
    return "\n".join(lines)
