"""Every interval and threshold the cadence engine uses, in one place.

docs/cadence.md explains the why behind each value; change a number here and the engine, the
documentation's examples (through the tests) and `crm today` follow. Pure constants: no I/O.
"""
from __future__ import annotations

# ---- actions, in ranking order (rule 8) -------------------------------------------------------

ACTIONS: tuple[str, ...] = (
    "prepare",
    "thank-you",
    "feedback-request",
    "courtesy-note",
    "withdrawal",
    "status-check",
    "connect",
    "introduction",
    "intro-consent",
    "congratulate",
    "value-offer",
    "check-in",
)

# Answers to an event: not held back by the "never needy" rule (rule 6). An introduction
# answers the yes of the person introduced.
EVENT_ACTIONS: frozenset[str] = frozenset(
    {"prepare", "thank-you", "feedback-request", "connect", "courtesy-note", "withdrawal", "introduction"}
)

# Actions with a message template (`crm draft`); `prepare` is for you, its "draft" is `crm brief`.
DRAFT_ACTIONS: tuple[str, ...] = tuple(action for action in ACTIONS if action != "prepare")

# ---- business days ---------------------------------------------------------------------------

# Weekdays (Monday = 0) on which the actions below may fall due; one due on another day is
# suggested on the next working day. Thank-yous and the other answers to events stay same-day.
WORKING_DAYS: frozenset[int] = frozenset({0, 1, 2, 3, 4})
WORKING_DAY_ACTIONS: frozenset[str] = frozenset({"status-check", "check-in", "value-offer", "intro-consent"})

# ---- keep-warm (rule 5) -------------------------------------------------------------------

# The longest own interval `crm cadence` accepts (ten years); the same as
# crm.store.models.MAX_CADENCE_DAYS, kept literal so this module stays pure (a test checks).
MAX_CADENCE_DAYS = 3650

# Days between touches for a contact on keep-warm, by role. `other` is not on keep-warm unless
# the contact has its own cadence (`crm cadence CONTACT DAYS`).
KEEP_WARM_DAYS: dict[str, int] = {
    "recruiter": 60,
    "referrer": 60,
    "interviewer": 90,
    "hiring-manager": 90,
    "mentor": 90,
    "peer": 90,
}

# Outbound touches of these kinds are "keep-warm touches": when the last UNANSWERED_KEEP_WARM of
# them went unanswered, the contact's interval is multiplied by UNANSWERED_INTERVAL_FACTOR until
# they answer (any inbound touch).
KEEP_WARM_KINDS: frozenset[str] = frozenset({"check-in", "value-offer", "congratulate", "introduction", "message"})
UNANSWERED_KEEP_WARM = 2
UNANSWERED_INTERVAL_FACTOR = 2

# Offer kinds that can be a value-offer. Congratulations are for one person (rule 4).
VALUE_OFFER_KINDS: frozenset[str] = frozenset({"article", "introduction", "event", "resource"})

# Offers go stale: an offer of these kinds is suggested no more from this many days after its
# date (rule 12). The others (event, resource, introduction) do not lapse.
OFFER_LAPSE_DAYS: dict[str, int] = {"congratulation": 30, "article": 180}

# ---- never needy (rule 6) ------------------------------------------------------------------

# Nothing but EVENT_ACTIONS is suggested while the last outbound touch is younger than this.
MIN_DAYS_BETWEEN_OUTBOUND = 7

# ---- applications (rules 2 and 9) ---------------------------------------------------------

# Status check when no timeline was given: this many days after the latest interview.
STATUS_CHECK_NO_TIMELINE_DAYS = 10
# After an inbound touch from anyone on the application (after the latest interview).
STATUS_CHECK_AFTER_REPLY_DAYS = 10
# Wait after the 1st, 2nd... unanswered status check before the next one.
STATUS_CHECK_FOLLOW_UP_DAYS: tuple[int, ...] = (14, 28)
# After this many unanswered status checks in a row, no more for that application.
STATUS_CHECK_MAX_UNANSWERED = 2

# An interview round is due a `prepare` (read `crm brief`) this many days before it, on that day only.
PREPARE_DAYS_BEFORE = 1

# A connect is due from the day after the first interview you had with a person, for this many days.
CONNECT_WINDOW_DAYS = 14

# ---- the log ---------------------------------------------------------------------------------

# Kinds that are records, not contact with the person: they count for nothing in the cadence.
NOT_A_TOUCH_KINDS: frozenset[str] = frozenset({"note"})
# The same, as an SQL list for `kind NOT IN (...)` (the kinds are our own literals, never user text).
NOT_A_TOUCH_SQL = ", ".join(f"'{kind}'" for kind in sorted(NOT_A_TOUCH_KINDS)) or "''"

# Outbound kinds that expect no answer: the weekly review counts them neither answered nor
# unanswered (docs/drafts-and-review.md).
NO_ANSWER_EXPECTED_KINDS: frozenset[str] = frozenset({"thank-you", "connect", "congratulate", "withdrawal"})
NO_ANSWER_EXPECTED_SQL = ", ".join(f"'{kind}'" for kind in sorted(NO_ANSWER_EXPECTED_KINDS)) or "''"

# ---- output ----------------------------------------------------------------------------------

DEFAULT_TODAY_LIMIT = 10
DEFAULT_CALENDAR_DAYS = 14
