"""iCalendar output: all-day events, stable UIDs, the reason in the description, safe text."""
from __future__ import annotations

from datetime import date, datetime, timezone

import vobject

from crm.cadence import engine as cadence
from crm.cadence.engine import Application, Contact, Offer, Suggestion
from crm.views.calendar import calendar_bytes, log_command, uid_for

STAMP = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)
ANN = Contact(7, 'Ann "A"; Ng,\nJr', "Acme, Inc")
APP = Application(3, "Acme, Inc", "SRE")
OFFER = Offer(11, "article", "Rust; in prod", "https://example.org/rust")


def suggestion(action: str, *, offer=None, application=None, due=date(2026, 3, 2)) -> Suggestion:
    return Suggestion(ANN, action, due, 0, "Why; because, really.", offer, application)


def parse(data: bytes):
    return vobject.readOne(data.decode("utf-8"))


def test_one_all_day_event_per_suggestion_with_the_reason():
    day = date(2026, 3, 4)
    cal = parse(calendar_bytes([(day, suggestion("status-check", application=APP))], STAMP))
    [event] = cal.vevent_list
    assert event.dtstart.value == day and not isinstance(event.dtstart.value, datetime)
    assert event.dtend.value == date(2026, 3, 5)
    assert event.summary.value == 'Status check: Ann "A"; Ng,\nJr (Acme, Inc)'
    assert event.description.value.startswith("Why; because, really.\n")
    assert "crm log 7 status-check --application 3" in event.description.value
    assert event.dtstamp.value == STAMP
    assert event.uid.value == "contact-7-status-check-application-3@cadence.crm"


def test_uids_are_stable_and_tell_suggestions_apart():
    a = suggestion("value-offer", offer=OFFER)
    b = suggestion("value-offer", offer=OFFER, due=date(2026, 5, 1))
    assert uid_for(a) == uid_for(b) == "contact-7-value-offer-offer-11@cadence.crm"
    others = {uid_for(suggestion(action)) for action in ("thank-you", "check-in", "connect")}
    others.add(uid_for(suggestion("thank-you", application=APP)))
    assert len(others) == 4 and uid_for(a) not in others


def test_same_input_same_bytes_and_crlf_lines():
    planned = [(date(2026, 3, 2), suggestion("check-in")), (date(2026, 3, 9), suggestion("value-offer", offer=OFFER))]
    data = calendar_bytes(planned, STAMP)
    assert data == calendar_bytes(planned, STAMP)
    assert data.startswith(b"BEGIN:VCALENDAR\r\n") and b"PRODID:-//crm//cadence//EN" in data
    cal = parse(data)
    assert [e.url.value for e in cal.vevent_list if hasattr(e, "url")] == ["https://example.org/rust"]
    assert log_command(planned[1][1]) == "crm log 7 value-offer --offer 11"


def test_an_empty_plan_is_a_valid_calendar():
    cal = parse(calendar_bytes([], datetime(2026, 3, 2, 9, 30)))
    assert not hasattr(cal, "vevent")


def test_upcoming_into_a_calendar():
    ann = Contact(1, "Ann", "Acme", "recruiter", date(2026, 1, 1))
    snapshot = cadence.from_log(
        date(2026, 3, 2), [ann],
        touches=[cadence.Touch(1, date(2026, 1, 10), "message", "in")],
        horizon=date(2026, 3, 15),  # a snapshot answers for the days up to its horizon
    )
    plan = cadence.upcoming(snapshot, date(2026, 3, 2), 14)
    assert [(day, s.action) for day, s in plan] == [(date(2026, 3, 11), "check-in")]
    [event] = parse(calendar_bytes(plan, STAMP)).vevent_list
    assert event.dtstart.value == date(2026, 3, 11)


def test_calendar_text_never_carries_control_characters():
    from crm.views.calendar import ical_text

    assert ical_text("Ada\x1b[2J \x07Lovelace\u202e\x9b") == "Ada[2J Lovelace"
    assert ical_text("tab\tand\nnewline") == "tab\tand\nnewline"


def test_prepare_points_at_the_briefing_not_at_a_log_line():
    cal = parse(calendar_bytes([(date(2026, 3, 4), suggestion("prepare", application=APP))], STAMP))
    [event] = cal.vevent_list
    assert event.summary.value.startswith("Prepare: Ann")
    assert "Briefing: crm brief 3" in event.description.value and "crm log" not in event.description.value


def vobject_calendar_bytes(planned, stamp: datetime) -> bytes:
    """What crm wrote with vobject before crm.formats.ical: the reference the writer must equal."""
    from datetime import timedelta

    from vobject.icalendar import utc

    from crm.views.calendar import CALENDAR_NAME, PRODID, description_for, ical_text, summary_for

    stamp = stamp.astimezone(timezone.utc).replace(microsecond=0, tzinfo=utc)
    calendar = vobject.iCalendar()
    calendar.add("prodid").value = PRODID
    calendar.add("calscale").value = "GREGORIAN"
    calendar.add("x-wr-calname").value = CALENDAR_NAME
    for day, s in planned:
        event = calendar.add("vevent")
        event.add("uid").value = uid_for(s)
        event.add("dtstamp").value = stamp
        event.add("dtstart").value = day
        event.add("dtend").value = day + timedelta(days=1)
        event.add("summary").value = ical_text(summary_for(s))
        event.add("description").value = ical_text(description_for(s))
        event.add("categories").value = ["crm", s.action]
        event.add("transp").value = "TRANSPARENT"
        if s.offer is not None and s.offer.url:
            event.add("url").value = ical_text(s.offer.url)
    return calendar.serialize().encode("utf-8")


def test_the_writer_is_byte_identical_to_vobjects():
    import random

    rng = random.Random(4)
    pieces = ["Ann", "Zoë", "株式会社", "a,b", "semi;colon", "back\\slash", "new\nline", "x" * 70, "é" * 40, " ", "🙂"]

    def words(n: int) -> str:
        return "".join(rng.choice(pieces) for _ in range(rng.randrange(1, n)))

    planned = []
    for n in range(300):
        contact = Contact(n, words(6), rng.choice([None, words(4)]))
        offer = rng.choice([None, Offer(n, "article", words(5), rng.choice(["", "https://example.org/" + "p" * n]))])
        application = rng.choice([None, Application(n, words(3), words(3))])
        action = rng.choice(["thank-you", "status-check", "value-offer", "check-in"])
        s = Suggestion(contact, action, date(2026, 3, 2), 0, words(12), offer, application)
        planned.append((date(2026, 3, 2 + n % 20), s))
    assert calendar_bytes(planned, STAMP) == vobject_calendar_bytes(planned, STAMP)
    assert calendar_bytes([], STAMP) == vobject_calendar_bytes([], STAMP)
