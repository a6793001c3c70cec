"""Facts about you, the user: your pitch (what you bring, in one sentence), and the pitch you
give one application. Drafts state them; nothing here invents one.

`crm me` writes and lists these. (Your own e-mail addresses may join them: `me_setting` is a
table of named facts so a new one needs no migration of its own.)
"""
from __future__ import annotations

from crm.errors import InvalidInput
from crm.shapes import ApplicationPitch
from crm.store.models import Application, MeSetting, database

PITCH = "pitch"
MAX_PITCH = 300  # one sentence; a card has little room


def clean_pitch(text: str) -> str:
    """One line, single spaces, no final full stop (the draft adds its own)."""
    pitch = " ".join(text.split()).rstrip(".")
    if len(pitch) > MAX_PITCH:
        raise InvalidInput(f"a pitch is one sentence of at most {MAX_PITCH} characters, not {len(pitch)}")
    return pitch


def my_pitch() -> str:
    row = MeSetting.get_or_none(MeSetting.name == PITCH)
    return row.value if row is not None else ""


def set_my_pitch(text: str, now: str) -> str:
    """Store your pitch ('' clears it) and return it as stored."""
    pitch = clean_pitch(text)
    with database.atomic():
        if pitch:
            MeSetting.insert(name=PITCH, value=pitch, updated_at=now).on_conflict_replace().execute()
        else:
            MeSetting.delete().where(MeSetting.name == PITCH).execute()
    return pitch


def set_application_pitch(application: Application, text: str) -> str:
    pitch = clean_pitch(text)
    Application.update(pitch=pitch).where(Application.id == application.id).execute()
    return pitch


def pitch_for(application_id: int | None) -> str:
    """The pitch a draft about this application states: its own, else yours, else ''."""
    if application_id is not None:
        own = Application.select(Application.pitch).where(Application.id == application_id).scalar()
        if own:
            return own
    return my_pitch()


def application_pitches() -> list[ApplicationPitch]:
    """[{"id", "org", "position", "pitch"}] for the applications with a pitch of their own."""
    from crm.store.models import Organisation

    return [
        {"id": app_id, "org": org, "position": position, "pitch": pitch}
        for app_id, org, position, pitch in Application.select(
            Application.id, Organisation.name, Application.position, Application.pitch
        ).join(Organisation).where(Application.pitch != "").order_by(Application.id).tuples()
    ]
