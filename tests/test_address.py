"""Postal addresses from the ADR lines the store keeps among a card's extra properties."""
from __future__ import annotations

from crm.formats.vcard.address import postal_address


def test_the_envelope_lines_of_an_adr():
    assert postal_address(["ADR;TYPE=work:;;Lindholmspiren 7;Gothenburg;;417 56;Sweden"]) == (
        "Lindholmspiren 7", "Gothenburg 417 56", "Sweden")
    assert postal_address(["ADR:PO 12;Suite 4;1 Main St\\nBuilding B;Springfield;IL;62704;"]) == (
        "1 Main St", "Building B", "Suite 4", "PO Box PO 12", "Springfield, IL 62704")


def test_pref_then_work_then_the_first_and_escapes_and_groups():
    lines = [
        "NOTE:not an address",
        "item1.ADR;TYPE=home:;;Home Road 1;Oldtown;;;",
        "ADR;TYPE=work:;;Work Street 2;Newtown;;;",
    ]
    assert postal_address(lines)[0] == "Work Street 2"
    assert postal_address(lines + ['ADR;TYPE="home,pref":;;Pref Lane 3\\, Flat 2;Anytown;;;'])[0] == "Pref Lane 3, Flat 2"
    assert postal_address(["item2.adr;type=HOME:;;Home Road 1;Oldtown;;;"]) == ("Home Road 1", "Oldtown")


def test_no_address_is_empty():
    assert postal_address([]) == ()
    assert postal_address(["ADR:;;;;;;", "ADR no colon", "X-ADR:;;1 Main St;;;;"]) == ()
