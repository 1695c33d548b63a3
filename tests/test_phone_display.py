"""core/phone.py: the one way a number is shown to people (international format) and written to
CSV files (E.164), and the template filters that use it."""

import pytest
from django.template import Context, Template

from core.phone import csv_number, display, numbers_shown
from dids import numbers
from dids.models import DID


@pytest.mark.parametrize(("e164", "shown"), [
    ("+18555801802", "+1 855-580-1802"),
    ("+442079460958", "+44 20 7946 0958"),
    ("+81312345678", "+81 3-1234-5678"),
    ("anonymous", "anonymous"),  # a CDR's caller need not be a number: shown as it is
    ("", ""),
])
def test_display(e164, shown):
    assert display(e164) == shown


def test_one_definition():
    assert numbers.display is display


def test_a_did_is_shown_formatted_and_linked_by_its_digits():
    did = DID(number="+18555801802")
    assert (did.shown, did.digits, str(did)) == ("+1 855-580-1802", "18555801802", "+18555801802")


def test_numbers_in_a_stored_text():
    text = "DID +18555801802 deleted; +442079460958 too. Not 5.0000, +1234, 18555801802 or x+18555801802."
    assert numbers_shown(text) == ("DID +1 855-580-1802 deleted; +44 20 7946 0958 too. "
                                   "Not 5.0000, +1234, 18555801802 or x+18555801802.")
    assert numbers_shown("") == "" and numbers_shown("no number") == "no number"


def test_csv_number_is_e164():
    assert (csv_number("+18555801802"), csv_number(None), csv_number("")) == ("+18555801802", "", "")


def test_template_filters():
    html = Template("{% load portal %}{{ n|phone }}|{{ t|phones }}|{{ none|phone }}").render(
        Context({"n": "+18555801802", "t": "DID +18555801802 released", "none": None}))
    assert html == "+1 855-580-1802|DID +1 855-580-1802 released|"


def test_searches_take_the_number_as_the_pages_show_it(db, admin_client):
    """What a person copies from a page (+1 855-580-1802) finds the DID in every number search."""
    from decimal import Decimal

    from django.test import Client
    from django.urls import reverse

    from accounts.models import Account
    from billing.ledger.funds import add_funds
    from billing.subscriptions.purchase import purchase_did
    from tests.factories import DIDFactory, make_account_user

    reseller = make_account_user(kind=Account.Kind.RESELLER)
    customer = make_account_user(kind=Account.Kind.CUSTOMER, parent=reseller.account)
    for user in (reseller, customer):
        add_funds(account_id=user.account_id, amount=Decimal("100"))
    did, other = DIDFactory(number="+18555801802"), DIDFactory(number="+18555801803")
    purchase_did(buyer_id=reseller.account_id, did_id=did.pk, purchase_key="r")
    purchase_did(buyer_id=reseller.account_id, did_id=other.pk, purchase_key="r2")
    purchase_did(buyer_id=customer.account_id, did_id=did.pk, purchase_key="c")
    shown = "+1 855-580-1802"

    listed = admin_client.get(reverse("dids:list"), {"number": shown})
    assert [d.pk for d in listed.context["page"].rows] == [did.pk] and shown in listed.content.decode()
    client = Client()  # admin_client is the test client itself
    client.force_login(reseller)
    mine = client.get(reverse("resellers:dids"), {"number": shown})
    assert [sub.did_id for sub in mine.context["page"].rows] == [did.pk]
    theirs = client.get(reverse("customers:dids", args=[customer.account.number]), {"number": shown})
    assert shown in theirs.content.decode()
    trail = admin_client.get(reverse("audit:list"), {"did": shown})
    assert trail.context["page"].rows and {e.did_number for e in trail.context["page"].rows} == {did.number}
