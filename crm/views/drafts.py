"""Message drafts: short, polite, never needy.

A draft is a template (`crm/views/templates/<action>.txt`, `${name}` placeholders) filled from a few
plain facts (`DraftFacts`): who, which application and position, which day, which offer, which
shared interests. The facts come from a cadence `Suggestion` (`facts_for`, pure) or, when the
user names an action themselves, from the database (`load_facts`, the one reader here).

A file of the same name in the user's template folder (`template_dir`; `crm draft
--list-templates` shows it) overrides the shipped template. The placeholders, and the rules a
rendered draft follows, are in docs/drafts-and-review.md.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from string import Template
from typing import TYPE_CHECKING, Iterable, Mapping

from crm.cadence import settings
from crm.dates import WEEKDAYS, day_and_month
from crm.errors import FormatError, NotFound
from crm.text import and_list as listing
from crm.views.thank_you import forgotten_text, round_name, sentence, specific_to_them

if TYPE_CHECKING:
    from crm.cadence.engine import Suggestion

ACTIONS: tuple[str, ...] = settings.DRAFT_ACTIONS
PACKAGE_TEMPLATES = Path(__file__).resolve().parent / "templates"
CONFIG_DIR_ENV = "CRM_CONFIG_DIR"

# The fact a draft cannot do without, per action: without it the message would say nothing
# true, so `draft` refuses (one line naming how to add the fact) rather than inventing one.
NEEDS_APPLICATION = frozenset({"thank-you", "status-check", "feedback-request", "courtesy-note", "withdrawal"})
NEEDS_OFFER = frozenset({"value-offer", "congratulate"})
NEEDS_PARTNER = frozenset({"intro-consent", "introduction"})  # the other person of an introduction
# Actions whose ${org} is the application's organisation; for the others it is theirs.
ABOUT_APPLICATION = NEEDS_APPLICATION | {"connect"}

# How a value-offer opens, by offer kind.
OFFER_LEADS: dict[str, str] = {
    "article": "I came across this and thought of you",
    "resource": "I came across this and thought of you",
    "event": "I came across this event and thought of you",
    "introduction": "I thought of someone you might enjoy meeting",
}
HIRED_THANK_YOU = "thank-you-hired"  # after `crm outcome ORG hired`: thanks for their part
HANDWRITTEN_THANK_YOU = "thank-you-handwritten"  # the card variant's template
LINKEDIN_NOTE_LIMIT = 300  # characters LinkedIn allows in a connection note



# ---- templates ---------------------------------------------------------------------------


def template_dir(environ: Mapping[str, str]) -> Path:
    """The user's template folder: $CRM_CONFIG_DIR/templates, else the platform's config dir
    (e.g. ~/.config/crm/templates). Takes the environment so nothing here reads it."""
    base = environ.get(CONFIG_DIR_ENV)
    if base:
        return Path(base).expanduser() / "templates"
    from platformdirs import user_config_dir

    return Path(user_config_dir("crm")) / "templates"


@dataclass(frozen=True)
class DraftTemplate:
    action: str
    path: Path
    overridden: bool  # True: the user's file, not the shipped one

    def text(self) -> str:
        try:
            return self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
            raise FormatError(f"cannot read the {self.action} template {self.path}: {reason}") from None


def find_template(action: str, user_dir: Path | None) -> DraftTemplate:
    if user_dir is not None:
        custom = user_dir / f"{action}.txt"
        if custom.is_file():
            return DraftTemplate(action, custom, True)
    return DraftTemplate(action, PACKAGE_TEMPLATES / f"{action}.txt", False)


def list_templates(user_dir: Path | None) -> list[DraftTemplate]:
    """Each action's template, and after the thank-you its card variant and the one after a hire."""
    names = [name for action in ACTIONS
             for name in ((action, HANDWRITTEN_THANK_YOU, HIRED_THANK_YOU) if action == "thank-you" else (action,))]
    return [find_template(name, user_dir) for name in names]


# ---- facts ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DraftFacts:
    """What a draft may say. Every field but `first_name` may be missing."""

    first_name: str
    org: str | None = None  # the application's organisation
    position: str | None = None  # the application's position
    their_org: str | None = None  # the organisation the contact works at
    on: date | None = None  # the day the message refers to; see `facts_for`
    interviewed: bool = False  # they interviewed you for `position` (else: recruiter, or no application)
    offer_kind: str | None = None
    offer_title: str | None = None
    offer_url: str = ""
    interests: tuple[str, ...] = ()  # shared interests, sorted
    application_id: int | None = None  # for the `crm log ... --application` the CLI suggests
    offer_id: int | None = None  # for `crm log ... --offer`
    # thank-you only (`with_thank_you_details` loads them): what makes it theirs, and what you add
    round_number: int | None = None  # the round the thank-you is for
    title: str = ""  # their job title
    forgotten: tuple[str, ...] = ()  # notes logged on the application after the round: what you meant to say
    pitch: str = ""  # what you bring (the application's, else yours); never invented
    handwritten: bool = False  # a card: short, no subject, the postal address under it
    full_name: str = ""  # for the envelope
    postal_address: tuple[str, ...] = ()  # envelope lines from their vCard ADR
    partner_name: str | None = None  # introductions: the other person's name
    partner_org: str | None = None
    withdrawn: bool = False  # withdrawal: you withdrew (else: you accepted another offer)
    hired: bool = False  # thank-you: you accepted this application's offer


def first_name_of(name: str) -> str:
    """A greeting name from a display name when no given name is stored: its first word."""
    words = name.split()
    return words[0] if words else ""


def facts_for(suggestion: Suggestion, today: date, first_name: str | None = None) -> DraftFacts:
    """The facts behind a cadence suggestion. Pure.

    `on`: the interview round (thank-you: the round the suggestion is about; connect: the first
    round they interviewed you in), the latest round (status-check), the rejection
    (feedback-request), the offer's date (congratulate).
    """
    contact, action = suggestion.contact, suggestion.action
    application, offer = suggestion.application, suggestion.offer
    name = first_name or first_name_of(contact.name)
    org = application.org if application is not None else None
    position = application.position if application is not None else None
    rounds = [r for r in application.rounds if r.on <= today] if application is not None else []
    theirs = [r.on for r in rounds if contact.id in r.interviewer_ids]
    on: date | None = None
    if action == "thank-you":
        on = suggestion.due
    elif action == "feedback-request":
        on = application.outcome_on if application is not None and application.outcome_on else suggestion.due
    elif action == "status-check":
        on = max((r.on for r in rounds), default=None)
    elif action == "connect":
        on = min(theirs, default=None)
    elif action == "congratulate" and offer is not None:
        on = offer.on
    if action == "value-offer" and offer is not None:
        shared = offer.interests & contact.interests
    else:
        shared = contact.interests
    round_number = None
    if action == "thank-you":
        round_number = next((r.number for r in rounds if r.on == on and contact.id in r.interviewer_ids), None)
    partner = suggestion.partner
    if partner is not None:
        shared = contact.interests & partner.interests
    decided = application is not None and application.outcome_on is not None and application.outcome_on <= today
    return DraftFacts(
        first_name=name,
        org=org,
        position=position,
        their_org=None if suggestion.employer else contact.org,  # a colleague now: not "at <your employer>"
        on=on,
        interviewed=bool(theirs),
        offer_kind=offer.kind if offer is not None else None,
        offer_title=offer.title if offer is not None else None,
        offer_url=offer.url if offer is not None else "",
        interests=tuple(sorted(shared, key=str.casefold)),
        application_id=application.id if application is not None else None,
        offer_id=offer.id if offer is not None else None,
        round_number=round_number,
        partner_name=partner.name if partner is not None else None,
        partner_org=partner.org if partner is not None else None,
        withdrawn=decided and application.outcome == "withdrawn",
        hired=action == "thank-you" and decided and application.outcome == "hired",
    )


# ---- words ----------------------------------------------------------------------------------


def day_text(day: date, today: date) -> str:
    """'5 March', or '5 March 2025' when it is not this year."""
    return day_and_month(day, today)


def spoken_date(day: date, today: date) -> str:
    """'today', 'yesterday', 'on Monday' (within the last week), else 'on 5 March'."""
    delta = (today - day).days
    if delta == 0:
        return "today"
    if delta == 1:
        return "yesterday"
    if 1 < delta < 7:
        return f"on {WEEKDAYS[day.weekday()]}"
    return f"on {day_text(day, today)}"


def connect_reason(facts: DraftFacts, today: date) -> str:
    """The one logical reason a connection note gives, best first."""
    role = f"the {facts.position} role at {facts.org}" if facts.position and facts.org else None
    if role and facts.interviewed:
        when = f" {spoken_date(facts.on, today)}" if facts.on else ""
        return f"thank you for our conversation about {role}{when}; I would be glad to stay connected."
    if role:
        return f"thank you for your help with {role}; I would be glad to stay connected."
    if facts.interests:
        return f"we share an interest in {listing(facts.interests)}, and I would be glad to connect."
    if facts.their_org:
        return f"I would be glad to connect and follow your work at {facts.their_org}."
    return "I would be glad to connect."


def draft_context(action: str, facts: DraftFacts, today: date, sender: str | None) -> dict[str, str]:
    """Every placeholder a template may use (documented in docs/drafts-and-review.md).

    A missing fact is an empty string, and the `*_phrase`-style values are whole phrases with
    their own leading space or comma, so a template reads well either way.
    """
    interest = listing(facts.interests)
    org = ((facts.org or facts.their_org) if action in ABOUT_APPLICATION else facts.their_org) or ""
    return {
        "first_name": facts.first_name or "there",
        "me": (sender or "").strip(),
        "org": org,
        "at_org": f" at {org}" if org else "",
        "position": facts.position or "",
        "date": day_text(facts.on, today) if facts.on else "",
        "when": spoken_date(facts.on, today) if facts.on else "recently",
        "offer_title": facts.offer_title or "",
        "offer_url": facts.offer_url or "",
        "offer_lead": OFFER_LEADS.get(facts.offer_kind or "", OFFER_LEADS["article"]),
        "interest": interest,
        "interest_phrase": f", given our shared interest in {interest}" if interest else "",
        "reason": connect_reason(facts, today) if action == "connect" else "",
        "round": round_name(facts.round_number),
        "specific": (" " + specific_to_them(facts.interests, facts.title)).rstrip() if action == "thank-you" else "",
        "forgotten": forgotten_text(facts.forgotten, short=facts.handwritten) if action == "thank-you" else "",
        "pitch_sentence": f"A short reminder of what I would bring: {sentence(facts.pitch)}" if facts.pitch else "",
        "partner_name": facts.partner_name or "",
        "partner_first_name": first_name_of(facts.partner_name or "") or "there",
        # Why these two should meet: what they share, when you know it (never invented).
        "intro_reason": f"you share an interest in {interest}" if interest
        else "I think you would have a lot to talk about",
        "partner_at_org": f" at {facts.partner_org}" if facts.partner_org else "",
        "withdrawal_reason": "I have decided to step back, so" if facts.withdrawn
        else "I have accepted an offer elsewhere, so",
    }


# ---- rendering ----------------------------------------------------------------------------


def render(template_text: str, context: Mapping[str, str]) -> str:
    """Fill the placeholders. A line that had placeholders and came out blank is dropped (no
    empty signature, no empty URL line); unknown placeholders are left as written, so a typo in
    a user's template shows in the draft instead of failing."""
    lines = []
    for line in template_text.splitlines():
        filled = Template(line).safe_substitute(context).rstrip()
        if not filled.strip() and "$" in line:
            continue
        lines.append(filled)
    text = "\n".join(lines).strip("\n")
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text


def check_facts(action: str, facts: DraftFacts, contact_name: str) -> None:
    """Refuse, in one line saying how to fix it, a draft whose key fact is missing."""
    if action in NEEDS_APPLICATION and not facts.position:
        raise NotFound(
            f"{contact_name} is not on any interview yet, so there is nothing to base a {action} on;"
            " record one with `crm interview`"
        )
    if action == "congratulate" and not facts.offer_title:
        raise NotFound(
            f"nothing to congratulate {contact_name} on; add it with"
            f' `crm offer add congratulation "..." --for {contact_name!r}`'
        )
    if action in NEEDS_PARTNER and not (facts.partner_name and facts.offer_title):
        raise NotFound(
            f"{contact_name} is in no introduction; offer one with"
            ' `crm offer add introduction "..." --for A --introduce B`'
        )
    if action == "value-offer" and not facts.offer_title:
        raise NotFound(
            f"no offer fits {contact_name} (none shares their interests or is meant for them);"
            " add one with `crm offer add`"
        )


def template_name(action: str, facts: DraftFacts) -> str:
    """The template a draft uses: the action's, the card variant of a handwritten thank-you, or
    the thank-you for their part once you accepted their offer (not for an interview)."""
    if action == "thank-you" and facts.hired:
        return HIRED_THANK_YOU
    return HANDWRITTEN_THANK_YOU if action == "thank-you" and facts.handwritten else action


def draft(action: str, facts: DraftFacts, today: date, *, sender: str | None, user_dir: Path | None) -> str:
    """The message for `action` from `facts`, with the user's template if they have one.
    (A handwritten thank-you's envelope lines are `address_block`, apart: not part of the card.)"""
    template = find_template(template_name(action, facts), user_dir)
    return render(template.text(), draft_context(action, facts, today, sender))


def address_block(facts: DraftFacts) -> str:
    """The envelope printed under a handwritten draft: their name and postal address, or ''."""
    if not facts.handwritten or not facts.postal_address:
        return ""
    return "\n".join(["Address (from their card):", *(f"  {line}" for line in (facts.full_name, *facts.postal_address)
                                                      if line)])


def draft_for(suggestion: Suggestion, today: date, *, sender: str | None, user_dir: Path | None,
              first_name: str | None = None) -> str:
    """The draft for one cadence suggestion (what `crm today --drafts` prints under it).

    Pure but for reading the template file. `first_name` defaults to the first word of the
    contact's name; pass `first_names(ids)[id]` for the stored given name.
    """
    return draft(suggestion.action, facts_for(suggestion, today, first_name), today, sender=sender,
                 user_dir=user_dir)


# ---- loading facts from the database --------------------------------------------------------


def first_names(contact_ids: Iterable[int]) -> dict[int, str]:
    """Contact id -> the name to greet them by: the given name, else the display name's first word."""
    from crm.store.models import Contact, id_batches

    wanted = sorted(set(contact_ids))
    names: dict[int, str] = {}
    for chunk in id_batches(wanted):
        for cid, given, display in (
            Contact.select(Contact.id, Contact.given_name, Contact.display_name).where(Contact.id.in_(chunk)).tuples()
        ):
            names[cid] = given.strip() or first_name_of(display)
    return names


_LATEST_APPLICATION = """
SELECT a.id, o.name, a.position, a.outcome, a.outcome_on,
    max(substr(r."on", 1, 10)) AS latest_round,
    max(CASE WHEN ri.contact_id IS NOT NULL THEN substr(r."on", 1, 10) END) AS their_round,
    min(CASE WHEN ri.contact_id IS NOT NULL THEN substr(r."on", 1, 10) END) AS their_first_round
FROM application a
JOIN organisation o ON o.id = a.organisation_id
JOIN interview_round r ON r.application_id = a.id AND r."on" < :next
LEFT JOIN round_interviewer ri ON ri.round_id = r.id AND ri.contact_id = :contact
WHERE a.recruiter_id = :contact
   OR a.id IN (SELECT r2.application_id FROM round_interviewer ri2 JOIN interview_round r2 ON r2.id = ri2.round_id
               WHERE ri2.contact_id = :contact AND r2."on" < :next)
GROUP BY a.id
ORDER BY latest_round DESC, a.id DESC
LIMIT 1
"""

_OFFERS = """
SELECT o.id, o.kind, o.title, o.url, o."on", o.for_contact_id, o.introduce_id,
    (SELECT group_concat(i.name, char(31)) FROM offer_interest oi JOIN interest i ON i.id = oi.interest_id
     WHERE oi.offer_id = o.id) AS interests
FROM offer o
WHERE o."on" <= :as_of AND (o.for_contact_id = :contact OR o.for_contact_id IS NULL)
"""

_GIVEN = """
SELECT DISTINCT offer_id FROM touchpoint
WHERE contact_id = :contact AND offer_id IS NOT NULL AND "on" < :next AND kind NOT IN ({not_a_touch})
"""


# The newest introduction naming the contact (as the one introduced or the one it is for), with
# the other person.
_INTRODUCTION = """
SELECT o.id, o.title, o.kind, c.display_name, org.name FROM offer o
JOIN contact c ON c.id = CASE WHEN o.for_contact_id = :contact THEN o.introduce_id ELSE o.for_contact_id END
LEFT JOIN organisation org ON org.id = c.organisation_id
WHERE o.kind = 'introduction' AND o."on" <= :as_of AND o.for_contact_id IS NOT NULL AND o.introduce_id IS NOT NULL
  AND (o.for_contact_id = :contact OR o.introduce_id = :contact)
ORDER BY o."on" DESC, o.id DESC LIMIT 1
"""


def load_facts(contact_id: int, action: str, as_of: date) -> DraftFacts:
    """The facts for a draft the user asked for by action, from the database as of a date.

    Application: the latest one they were on (recruiter, or interviewer in a round) by its
    latest round on or before `as_of`; `on` is the latest round they were in (else the latest
    round), the first one for a connect, the latest round for a status-check, and the rejection
    for a feedback-request. Offer: for a value-offer, the one `crm today` would
    pick (made for them, else the general offer sharing most interests; never one already given
    to them); for a congratulate, the newest congratulation meant for them, one not yet given first.
    """
    from crm.cadence.engine import Contact as EngineContact, Offer as EngineOffer, Snapshot, TouchSummary
    from crm.store.models import Contact, ContactInterest, Interest, database

    contact = Contact.get_by_id(contact_id)
    name = contact.given_name.strip() or first_name_of(contact.display_name)
    org = contact.organisation.name if contact.organisation_id else None
    interests = frozenset(
        name_ for (name_,) in Interest.select(Interest.name).join(ContactInterest)
        .where(ContactInterest.contact == contact_id).tuples()
    )
    params = {"contact": contact_id, "as_of": as_of.isoformat(), "next": (as_of + timedelta(days=1)).isoformat()}

    def rows(sql: str):
        return database.execute_sql(sql, {k: v for k, v in params.items() if f":{k}" in sql}).fetchall()

    facts = {"first_name": name, "their_org": org, "interests": tuple(sorted(interests, key=str.casefold))}
    found = rows(_LATEST_APPLICATION)
    if found:
        app_id, app_org, position, outcome, outcome_on, latest_round, their_round, their_first_round = found[0]
        on = date.fromisoformat(their_round or latest_round)
        if action == "connect":
            on = date.fromisoformat(their_first_round) if their_first_round else None
        elif action == "status-check":
            on = date.fromisoformat(latest_round)
        elif action == "feedback-request" and outcome_on and str(outcome_on) <= as_of.isoformat():
            on = date.fromisoformat(str(outcome_on)[:10])
        facts.update(org=app_org, position=position, on=on, interviewed=their_round is not None,
                     application_id=app_id)

    if action in NEEDS_PARTNER:
        partner = rows(_INTRODUCTION)
        if partner:
            oid, title, kind, partner_name, partner_org = partner[0]
            facts.update(offer_id=oid, offer_title=title, offer_kind=kind, partner_name=partner_name,
                         partner_org=partner_org)
    if action == "withdrawal" and found:
        facts.update(withdrawn=found[0][3] == "withdrawn")
    if action in NEEDS_OFFER:
        given = {offer_id for (offer_id,) in rows(_GIVEN.format(not_a_touch=settings.NOT_A_TOUCH_SQL))}
        offers = [
            EngineOffer(oid, kind, title, url or "", date.fromisoformat(str(on)[:10]), for_id, introduce_id,
                        frozenset(names.split("\x1f")) if names else frozenset())
            for oid, kind, title, url, on, for_id, introduce_id, names in rows(_OFFERS)
        ]
        offer = None
        if action == "congratulate":
            mine = [o for o in offers if o.kind == "congratulation" and o.for_contact_id == contact_id]
            if mine:
                offer = max(mine, key=lambda o: (o.id not in given, o.on, o.id))
            shared = interests
        else:
            from crm.cadence.rules import World

            me = EngineContact(contact_id, contact.display_name, org, contact.role, interests=interests,
                               touches=TouchSummary(offers_given=frozenset(given)))
            fit = World(Snapshot(as_of, contacts=(me,), offers=tuple(offers)), as_of).value_offer_for(me)
            offer, shared = fit if fit is not None else (None, interests)
        if offer is not None:
            facts.update(offer_kind=offer.kind, offer_title=offer.title, offer_url=offer.url, offer_id=offer.id,
                         interests=tuple(sorted(shared, key=str.casefold)))
            if action == "congratulate":
                facts.update(on=offer.on)
    return DraftFacts(**facts)


# ---- one contact's draft: what `crm draft` decides ------------------------------------------


@dataclass(frozen=True)
class ContactDraft:
    action: str
    text: str  # the message (for a card, without the envelope: `address`)
    facts: DraftFacts
    suggestion: Suggestion | None  # None when the action was named rather than suggested
    address: str = ""  # a handwritten card's envelope lines (`address_block`), or ''
    template: DraftTemplate | None = None  # None for `prepare`, whose text is the briefing


def draft_for_contact(contact, action: str | None, day: date, *, sender: str | None, user_dir: Path | None,
                      via: str | None = None) -> ContactDraft:
    """The draft for `contact` on `day`: of the suggestion due for them (no `action`), or of the
    named action from what the database knows. NotFound when nothing is due and none is named.

    A suggested `prepare` is drafted as the briefing (`crm brief`); a thank-you gets what only
    the database knows (`with_thank_you_details`, with `via` the channel you will send it by)."""
    from crm.cadence.engine import suggest
    from crm.cadence.snapshot import load_snapshot

    suggestion = None
    if action is None:
        suggestion = next(
            (s for s in suggest(load_snapshot(day, around=contact.id), day) if s.contact.id == contact.id), None
        )
        if suggestion is None:
            raise NotFound(
                f"nothing is suggested for {contact.display_name} (#{contact.id}) on {day.isoformat()};"
                f" name one with --action ({', '.join(ACTIONS)})"
            )
        if suggestion.action == "prepare":
            return ContactDraft("prepare", briefing_for(suggestion, day), DraftFacts(first_name=""), suggestion)
        action = suggestion.action
        facts = facts_for(suggestion, day, first_names([contact.id])[contact.id])
    else:
        facts = load_facts(contact.id, action, day)
    check_facts(action, facts, contact.display_name)
    if action == "thank-you":
        facts = with_thank_you_details(facts, contact.id, day, via)
    return ContactDraft(action, draft(action, facts, day, sender=sender, user_dir=user_dir), facts, suggestion,
                        address_block(facts), find_template(template_name(action, facts), user_dir))


def with_thank_you_details(facts: DraftFacts, contact_id: int, as_of: date, via: str | None = None) -> DraftFacts:
    """A thank-you's facts with what only the database knows (`crm.views.thank_you.load_details`)."""
    from dataclasses import asdict, replace

    from crm.views.thank_you import load_details

    details = load_details(contact_id, facts.application_id, facts.on or as_of, as_of, via, facts.round_number)
    return replace(facts, **asdict(details))


def briefing_for(suggestion: Suggestion, day: date) -> str:
    """A `prepare` suggestion's draft: the briefing for its application's next round."""
    from crm.views.brief import format_brief, load_brief

    return format_brief(load_brief(suggestion.application.id, day))


def suggestion_drafts(shown: Iterable[Suggestion], day: date, *, sender: str | None,
                      user_dir: Path | None) -> dict[tuple, str]:
    """`crm today --drafts`: each suggestion's draft by its key, as `crm draft` would write it
    (a thank-you with the database's details and a card's envelope; `prepare`, the briefing)."""
    shown = list(shown)
    names = first_names(s.contact.id for s in shown)
    texts = {}
    for s in shown:
        if s.action == "prepare":
            texts[s.key] = briefing_for(s, day)
            continue
        facts = facts_for(s, day, names.get(s.contact.id))
        if s.action == "thank-you":
            facts = with_thank_you_details(facts, s.contact.id, day)
        address = address_block(facts)
        texts[s.key] = draft(s.action, facts, day, sender=sender, user_dir=user_dir) + (
            "\n\n" + address if address else "")
    return texts


def log_command(contact_id: int, action: str, facts: DraftFacts, day: date | None) -> str:
    """The `crm log` line that records the draft as sent (the action is also a touch kind)."""
    parts = ["crm log", str(contact_id), action]
    if facts.handwritten:
        parts += ["--via", "handwritten"]
    if facts.offer_id is not None and (action in NEEDS_OFFER or action in NEEDS_PARTNER):
        parts += ["--offer", str(facts.offer_id)]
    if facts.application_id is not None and action in NEEDS_APPLICATION:
        parts += ["--application", str(facts.application_id)]
    if day is not None:
        parts += ["--on", day.isoformat()]
    return " ".join(parts)
