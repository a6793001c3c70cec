"""Interview rounds tied to calendar invites: the invite's UID names the round, its SEQUENCE
orders the updates, and a cancelled invite marks the round cancelled (the cadence then ignores
it). Functions here never print; callers run them inside their transaction.
"""
from __future__ import annotations

from dataclasses import dataclass

from crm.store.models import InterviewRound, RoundInterviewer


@dataclass(frozen=True)
class InviteRound:
    round_id: int
    application_id: int
    number: int
    on: str
    sequence: int
    cancelled: bool


def round_for_invite(uid: str) -> InviteRound | None:
    row = InterviewRound.get_or_none(InterviewRound.invite_uid == uid)
    if row is None:
        return None
    return InviteRound(row.id, row.application_id, row.number, row.on, row.invite_sequence or 0, bool(row.cancelled))


def round_id(application_id: int, number: int) -> int:
    return (
        InterviewRound.select(InterviewRound.id)
        .where((InterviewRound.application == application_id) & (InterviewRound.number == number))
        .scalar()
    )


def tie_to_invite(round_id: int, uid: str, sequence: int) -> None:
    InterviewRound.update(invite_uid=uid, invite_sequence=sequence, cancelled=False).where(
        InterviewRound.id == round_id
    ).execute()


def update_from_invite(round_id: int, on: str, sequence: int, *, cancelled: bool, people: list[int]) -> None:
    """Apply a newer version of the invite: the round moves to `on` (or is cancelled), and
    people it now names are added (nobody is removed: an interviewer dropped from an invite
    may still have met you)."""
    InterviewRound.update(on=on, invite_sequence=sequence, cancelled=cancelled).where(
        InterviewRound.id == round_id
    ).execute()
    for contact_id in dict.fromkeys(people):
        RoundInterviewer.insert(round=round_id, contact=contact_id).on_conflict_ignore().execute()
