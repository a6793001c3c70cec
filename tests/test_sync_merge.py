"""The pure parts of sync: the three-way field merge and writing crm's fields into a foreign card."""
from __future__ import annotations

from hypothesis import given, strategies as st

from crm.formats.card import Birthday, Card, Typed
from crm.formats.vcard import read_cards
from crm.formats.vcard.patch import is_group_card, patch_card
from crm.sync.merge import FieldConflict, fingerprint, merge3, take_server


def card(**fields) -> Card:
    return Card(display_name="Ann Lee", given_name="Ann", family_name="Lee", uid="u-1", **fields)


def test_one_side_changed_a_field_it_wins_both_changed_ours_stays_and_theirs_is_returned():
    base = card(title="Engineer", org="Acme", note="met at PyCon")
    local = card(title="Manager", org="Acme", note="met at PyCon")
    server = card(title="Principal", org="Globex", note="met at PyCon", birthday=Birthday(4, 1))
    merged, conflicts = merge3(base, local, server)
    assert (merged.title, merged.org, merged.birthday) == ("Manager", "Globex", Birthday(4, 1))
    assert conflicts == [FieldConflict("title", "Manager", "Principal")]


def test_multi_valued_fields_keep_what_either_side_added_and_drop_what_one_side_removed():
    base = card(emails=[Typed("a@x.org"), Typed("old@x.org")], categories=["chess"])
    local = card(emails=[Typed("a@x.org"), Typed("old@x.org"), Typed("mine@x.org")], categories=["chess", "Go"])
    server = card(emails=[Typed("A@X.org"), Typed("theirs@x.org")], categories=["Chess", "running"])
    merged, conflicts = merge3(base, local, server)
    assert [t.value for t in merged.emails] == ["a@x.org", "mine@x.org", "theirs@x.org"]  # old@ was removed there
    assert merged.categories == ["chess", "Go", "running"]
    assert conflicts == []


def test_a_first_sync_without_a_base_unites_and_fills_and_never_drops_a_value():
    local = card(title="CTO", emails=[Typed("ann@x.org")], role="recruiter")
    server = card(title="Chief Technology Officer", org="Initech", emails=[Typed("ann@phone.org")])
    merged, conflicts = merge3(Card(), local, server)
    assert (merged.title, merged.org, merged.role) == ("CTO", "Initech", "recruiter")
    assert [t.value for t in merged.emails] == ["ann@x.org", "ann@phone.org"]
    assert conflicts == [FieldConflict("title", "CTO", "Chief Technology Officer")]


def test_taking_the_servers_card_keeps_our_uid_and_role_when_it_has_none():
    taken = take_server(card(role="mentor", title="x"), Card(display_name="Ann", uid="phone-uid", title="y"))
    assert (taken.uid, taken.role, taken.title) == ("u-1", "mentor", "y")


texts = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=12).map(str.strip)


@given(base=texts, local=texts, server=texts)
def test_merge_laws_for_a_single_field(base, local, server):
    merged, conflicts = merge3(card(title=base), card(title=local), card(title=server))
    if local == base:
        assert merged.title == server and not conflicts  # only the server changed it
    elif server in (base, local):
        assert merged.title == local and not conflicts  # only we changed it (or both alike)
    else:
        assert merged.title == (local or server)  # both changed: ours, unless we emptied it
        assert conflicts == ([FieldConflict("title", local, server)] if local and server else [])


PHONE = ("BEGIN:VCARD\nVERSION:3.0\nPRODID:-//Apple Inc.//iPhone OS 17//EN\nN:Doe;Jane;;;\nFN:Jane Doe\n"
         "item1.EMAIL;type=INTERNET:jane@x.org\nitem1.X-ABLabel:_$!<Other>!$_\n"
         "item2.ADR;type=HOME:;;1 Main St;Springfield;;;\nitem2.X-ABLabel:cottage\n"
         "PHOTO;ENCODING=b;TYPE=JPEG:AAAA\n BBBB\nX-PHONE-THING:keep me\nUID:abc-1\nCATEGORIES:Friends\nEND:VCARD\n")


def test_patching_rewrites_only_our_fields_and_keeps_every_other_line_as_it_was():
    jane = next(read_cards(PHONE.encode())).card
    jane.title = "CTO"
    jane.emails = jane.emails + [Typed("j2@y.org", "work")]
    jane.categories = ["Friends", "chess"]
    jane.uid = "crm-local-uid"
    out = patch_card(PHONE, jane)
    lines = out.split("\r\n")
    for kept in ("PRODID:-//Apple Inc.//iPhone OS 17//EN", "item2.ADR;type=HOME:;;1 Main St;Springfield;;;",
                 "item2.X-ABLabel:cottage", "X-PHONE-THING:keep me", "UID:abc-1"):
        assert kept in lines
    assert "PHOTO;ENCODING=b;TYPE=JPEG:AAAA\r\n BBBB" in out  # even its folding
    assert "TITLE:CTO" in lines and "CATEGORIES:Friends,chess" in lines
    assert out.count("X-ABLabel:_$!<Other>!$_") == 1 and "crm-local-uid" not in out
    again = next(read_cards(out.encode())).card
    assert fingerprint(again) == fingerprint(jane)
    assert patch_card(out, again) == out  # patching with what it says changes nothing


def test_group_cards_are_recognised():
    group = next(read_cards(b"BEGIN:VCARD\nVERSION:3.0\nFN:Family\nN:Family;;;;\nX-ADDRESSBOOKSERVER-KIND:group\n"
                            b"X-ADDRESSBOOKSERVER-MEMBER:urn:uuid:abc-1\nEND:VCARD\n")).card
    assert is_group_card(group) and not is_group_card(card())
