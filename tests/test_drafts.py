"""crm.views.drafts without a database: facts from suggestions, rendering, templates, never needy."""
from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings as hsettings, strategies as st

from crm.cadence import settings
from crm.cadence.engine import Application, Contact, Offer, Round, Suggestion
from crm.views.drafts import (
    ACTIONS,
    PACKAGE_TEMPLATES,
    DraftFacts,
    draft,
    draft_for,
    facts_for,
    find_template,
    list_templates,
    render,
    spoken_date,
    template_dir,
)
from fuzzing import examples

NEEDY = ("any news", "any update", "just following up", "checking in to see if you")
TODAY = date(2026, 3, 6)

ADA = Contact(1, "Ada Lovelace", "Northwind Talent", "recruiter", interests=frozenset({"chess", "Rust"}))
BJORN = Contact(2, "Björn Lindqvist", "Acme Robotics", "interviewer", interests=frozenset({"rust"}))
ACME = Application(
    1, "Acme Robotics", "Platform Engineer", recruiter_id=1,
    rounds=(Round(1, 1, date(2026, 3, 5), interviewer_ids=(2,)), Round(2, 2, date(2026, 3, 20), interviewer_ids=(2,))),
)
ARTICLE = Offer(7, "article", "Rust at the edge", "https://example.com/rust-edge", date(2026, 3, 1),
                interests=frozenset({"rust", "go"}))


def suggestion(contact, action, due=date(2026, 3, 5), **kw) -> Suggestion:
    return Suggestion(contact, action, due, (TODAY - due).days, "because", **kw)


def test_the_drafted_actions_are_the_engines():
    from crm.cli.everyday import DRAFT_ACTIONS

    assert ACTIONS == settings.DRAFT_ACTIONS == DRAFT_ACTIONS
    assert settings.ACTIONS == ("prepare",) + ACTIONS
    assert {t.action for t in list_templates(None)} == set(ACTIONS) | {"thank-you-handwritten", "thank-you-hired"}
    assert all(t.path.is_file() and t.path.parent == PACKAGE_TEMPLATES for t in list_templates(None))


def test_facts_for_a_thank_you_name_the_round_and_ignore_later_rounds():
    facts = facts_for(suggestion(BJORN, "thank-you", application=ACME), TODAY)
    assert facts == DraftFacts(
        first_name="Björn", org="Acme Robotics", position="Platform Engineer", their_org="Acme Robotics",
        on=date(2026, 3, 5), interviewed=True, interests=("rust",), application_id=1,
        round_number=1,
    )


def test_facts_for_a_status_check_use_the_latest_round_held():
    assert facts_for(suggestion(ADA, "status-check", application=ACME), TODAY).on == date(2026, 3, 5)
    later = facts_for(suggestion(ADA, "status-check", application=ACME), date(2026, 3, 30))
    assert later.on == date(2026, 3, 20) and later.interviewed is False


def test_facts_for_a_value_offer_share_only_the_common_interests():
    facts = facts_for(suggestion(ADA, "value-offer", offer=ARTICLE), TODAY, first_name="Ada")
    assert (facts.offer_title, facts.offer_url, facts.interests, facts.offer_id) == (
        "Rust at the edge", "https://example.com/rust-edge", (), 7)  # "Rust" is not "rust": exact names
    facts = facts_for(suggestion(BJORN, "value-offer", offer=ARTICLE), TODAY)
    assert facts.interests == ("rust",)


def test_draft_for_a_thank_you_names_position_org_and_date(tmp_path):
    text = draft_for(suggestion(BJORN, "thank-you", application=ACME), TODAY, sender="Sam Doe", user_dir=tmp_path)
    assert text.startswith("Subject: Thank you: Platform Engineer first-round interview, 5 March\n\nHi Björn,\n")
    assert "talk with me yesterday in the first-round interview for the Platform Engineer role at Acme Robotics." in text
    assert text.endswith("Best regards,\nSam Doe")


def test_no_sender_means_no_signature_line_not_a_blank_one(tmp_path):
    text = draft_for(suggestion(BJORN, "thank-you", application=ACME), TODAY, sender=None, user_dir=tmp_path)
    assert text.endswith("\nBest regards,")
    assert draft_for(suggestion(BJORN, "thank-you", application=ACME), TODAY, sender="  ", user_dir=None) == text


def test_a_value_offer_without_url_drops_the_url_line():
    offer = Offer(8, "resource", "Salary guide", "", date(2026, 3, 1), interests=frozenset({"rust"}))
    text = draft_for(suggestion(BJORN, "value-offer", offer=offer), TODAY, sender="Sam", user_dir=None)
    assert "thought of you, given our shared interest in rust:\n\nSalary guide\n\nNo need" in text


def test_connect_is_one_line_with_the_reason():
    met = draft_for(suggestion(BJORN, "connect", due=date(2026, 3, 6), application=ACME), TODAY, sender="Sam",
                    user_dir=None)
    assert met == ("Hi Björn, thank you for our conversation about the Platform Engineer role at Acme Robotics"
                   " yesterday; I would be glad to stay connected.")
    recruiter = draft_for(suggestion(ADA, "connect", application=ACME), TODAY, sender=None, user_dir=None)
    assert recruiter == ("Hi Ada, thank you for your help with the Platform Engineer role at Acme Robotics;"
                         " I would be glad to stay connected.")
    shared = draft(
        "connect", DraftFacts("Ada", interests=("chess", "climbing", "rust")), TODAY, sender=None, user_dir=None)
    assert shared == "Hi Ada, we share an interest in chess, climbing and rust, and I would be glad to connect."


def test_check_in_speaks_of_their_own_organisation():
    text = draft("check-in", DraftFacts("Ada", org="Acme Robotics", position="PE", their_org="Northwind Talent"),
                 TODAY, sender=None, user_dir=None)
    assert "I hope things are going well at Northwind Talent." in text and "Acme" not in text


@pytest.mark.parametrize("day, expected", [
    (date(2026, 3, 6), "today"), (date(2026, 3, 5), "yesterday"), (date(2026, 3, 2), "on Monday"),
    (date(2026, 2, 27), "on 27 February"), (date(2025, 12, 30), "on 30 December 2025"),
])
def test_spoken_date(day, expected):
    assert spoken_date(day, TODAY) == expected


def test_render_keeps_unknown_placeholders_and_squeezes_blank_runs():
    assert render("Hi ${first_name} ${nope} $5\n\n\n${me}\n\nBye\n", {"first_name": "Ada", "me": ""}) == (
        "Hi Ada ${nope} $5\n\nBye")


def test_user_templates_override_by_file_name(tmp_path):
    (tmp_path / "check-in.txt").write_text("Yo ${first_name}!\n", encoding="utf-8")
    assert find_template("check-in", tmp_path).overridden
    assert not find_template("thank-you", tmp_path).overridden
    assert draft("check-in", DraftFacts("Ada"), TODAY, sender=None, user_dir=tmp_path) == "Yo Ada!"
    assert [t.action for t in list_templates(tmp_path) if t.overridden] == ["check-in"]


def test_template_dir_comes_from_the_environment_given(tmp_path):
    assert template_dir({"CRM_CONFIG_DIR": str(tmp_path)}) == tmp_path / "templates"
    assert template_dir({}).name == "templates" and "crm" in template_dir({}).parts


# What the store can hold: no "$" (so a filled placeholder is never mistaken for an unfilled
# one) and no line breaks (names, titles and positions are single-spaced on the way in).
words = st.text(st.characters(categories=("L", "N", "P", "S", "Zs"), exclude_characters="$"), max_size=20)
facts_strategy = st.builds(
    DraftFacts,
    first_name=words.filter(str.strip),
    org=st.one_of(st.none(), words),
    position=st.one_of(st.none(), words),
    their_org=st.one_of(st.none(), words),
    on=st.one_of(st.none(), st.dates(date(2024, 1, 1), TODAY)),
    interviewed=st.booleans(),
    offer_kind=st.sampled_from([None, "article", "event", "resource", "introduction", "congratulation"]),
    offer_title=st.one_of(st.none(), words),
    offer_url=words,
    interests=st.lists(words.filter(str.strip), max_size=3).map(tuple),
)


@hsettings(max_examples=examples(60), deadline=None)
@given(action=st.sampled_from(ACTIONS), facts=facts_strategy, sender=st.one_of(st.none(), words))
def test_no_shipped_draft_is_needy_or_has_a_blank_placeholder_line(action, facts, sender):
    """The law: whatever the facts, a shipped template never asks for news, and never leaves a
    placeholder line blank (a signature with no name, an empty URL line)."""
    text = draft(action, facts, TODAY, sender=sender, user_dir=None)
    template_text = find_template(action, None).text().lower()
    for phrase in NEEDY:
        assert phrase not in template_text
        # a phrase can only appear if the user's own data carries it
        if phrase in text.lower():
            assert any(phrase in str(v).lower() for v in (facts.org, facts.position, facts.their_org,
                                                          facts.offer_title, facts.offer_url, facts.interests))
    assert "${" not in text and text == text.strip()
    if action == "connect":
        assert "\n" not in text
