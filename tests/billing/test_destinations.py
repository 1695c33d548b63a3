"""Destinations (issue 7, DESIGN.md section 7): the rules per call type, the
holder's page (who may see and set it, only the last level routes), the admin's
door, history, and what a crafted request cannot do."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from accounts.models import Account
from routing.destinations import DestinationRefused, normalise, set_destination
from billing.ledger.funds import add_funds
from billing.models import Subscription
from dids.models import DIDHistory
from billing.subscriptions.purchase import purchase_did
from dids.models import DID
from dids.models import DID
from tests.factories import DIDFactory, make_account_user, make_admin

D = Decimal
SIP, DEVICE, PSTN = Subscription.CallType.SIP_URI, Subscription.CallType.SIP_DEVICE, Subscription.CallType.PSTN


# --- the rules ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, stored", [
    ("sip:alice@pbx.example.com", "sip:alice@pbx.example.com"),
    ("alice@pbx.example.com", "sip:alice@pbx.example.com"),  # sip: added
    ("SIP:Alice@PBX.Example.COM", "sip:Alice@pbx.example.com"),  # host lower-cased, user kept
    ("  sip:1001@203.0.113.5:5060 ", "sip:1001@203.0.113.5:5060"),
    ("sip:+14155550100@sip.carrier.net", "sip:+14155550100@sip.carrier.net"),
    ("sip:bob@[2001:db8::1]", "sip:bob@[2001:db8::1]"),
    ("sip:bob@[2001:0db8:0:0:0:0:0:1]:5080", "sip:bob@[2001:db8::1]:5080"),
    ("sip:a.b-c_d!~*%41@pbx", "sip:a.b-c_d!~*%41@pbx"),
    ("sip:x@host.example.:65535", "sip:x@host.example:65535"),
])
def test_good_sip_uris(text, stored):
    assert normalise(SIP, text) == stored


@pytest.mark.parametrize("text", [
    "sip:a@b;transport=tcp>", "sip:a@b;transport=tcp", "<sip:a@b>", "<script>alert(1)</script>",
    "sip:a b@host", "sip:a@ho st", "sip:a@ho\nst", "sip:a\t@host", "sip:\"a\"@host", "sip:a'@host", "sip:a@host?X=1",
    "sip:@host", "sip:alice", "alice", "sip:a@", "sip:a@host:0", "sip:a@host:65536", "sip:a@host:50x",
    "sip:a@host:", "sip:a@-host.com", "sip:a@host_1.com", "sip:a@1.2.3.256", "sip:a@01.2.3.4", "sip:a@1.2.3",
    "sip:a@[::g]", "sip:a@[2001:db8::1", "sip:a@2001:db8::1", "sips:a@host", "tel:+14155550100",
    "sip:a%00@host", "sip:a%3B@host", "sip:a%3c@host", "sip:a@b@c", "sip:a\\b@host", "sip:a`id`@host",
    "sip:" + "a" * 250 + "@host.com", "",
])
def test_bad_sip_uris_are_refused(text):
    with pytest.raises(ValidationError):
        normalise(SIP, text)


@pytest.mark.parametrize("text", ["1001", "alice", "a_b-c.d", "AB", "x" * 20])
def test_good_devices(text):
    assert normalise(DEVICE, text) == text


@pytest.mark.parametrize("text", ["1", "x" * 21, "ali ce", "alice;x", "<b>", "alice@pbx", "a/b", "ext'1", "é1"])
def test_bad_devices_are_refused(text):
    with pytest.raises(ValidationError):
        normalise(DEVICE, text)


@pytest.mark.parametrize("text, stored", [
    ("+44 20 7946 0958", "+442079460958"),
    ("442079460958", "+442079460958"),
    ("+1 415-555-0100", "+14155550100"),
    ("0044 20 7946 0958", "+442079460958"),
    ("+1 (415) 555-0100", "+14155550100"),
])
def test_good_pstn_numbers_are_stored_as_e164(text, stored):
    assert normalise(PSTN, text) == stored


@pytest.mark.parametrize("text", ["+1 415", "1234567", "+1234567890123456", "+44 20 7946 0958;x", "sip:1@h",
                                  "+0 123 4567 890", "four one five", "+1 415 555 0100<", "+999 1234 5678"])
def test_bad_pstn_numbers_are_refused(text):
    with pytest.raises(ValidationError):
        normalise(PSTN, text)


def test_the_did_itself_is_not_a_pstn_destination():
    with pytest.raises(ValidationError, match="loop"):
        normalise(PSTN, "+1 202 555 0100", did_number="+12025550100")


def test_unknown_call_type_is_refused():
    with pytest.raises(ValidationError):
        normalise("h323", "alice")


# --- the page ------------------------------------------------------------------------------------------

def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def setup(db):
    """R1 holds the DID and sold it on to its customer C; R2 holds another DID."""
    admin = make_admin()
    did = DIDFactory(call_timeout=45, concurrent_calls=0)
    other = DIDFactory()
    r1 = make_account_user(name="Reseller One")
    r2 = make_account_user(name="Reseller Two")
    c = make_account_user(Account.Kind.CUSTOMER, parent=r1.account, name="Customer C")
    for user in (r1, r2, c):
        add_funds(account_id=user.account_id, amount=D("100"))
    purchase_did(buyer_id=r1.account_id, did_id=did.pk, purchase_key="r1")
    purchase_did(buyer_id=c.account_id, did_id=did.pk, purchase_key="c")
    purchase_did(buyer_id=r2.account_id, did_id=other.pk, purchase_key="r2")
    return dict(admin=admin, did=did, other=other, r1=r1, r2=r2, c=c)


def _url(did):
    return reverse("billing:destination", args=[did.pk])


def _sub(s, who, did="did") -> Subscription:
    return Subscription.objects.get(did=s[did], account_id=s[who].account_id, status="active")


def test_the_holder_sets_a_sip_uri_and_a_history_row_is_written(setup):
    client = _client(setup["c"])
    page = client.get(_url(setup["did"]))
    html = page.content.decode()
    for text in ("Destination", "Call Type", "SIP URI", "SIP device/extension", "PSTN number", "Call Timeout (Sec.)",
                 "Concurrent Calls", "0 (Unlimited)", "set by the operator", "No destination set yet"):
        assert text in html, text
    assert 'data-testid="call-timeout">45 ' in html
    assert "Clear destination" not in html  # nothing to clear yet

    response = client.post(_url(setup["did"]), {"call_type": SIP, "destination": "alice@PBX.example.com"})
    assert response.status_code == 302 and response.url == _url(setup["did"])
    sub = _sub(setup, "c")
    assert (sub.call_type, sub.destination) == (SIP, "sip:alice@pbx.example.com")
    row = DIDHistory.objects.get(did=setup["did"], action="changed")
    assert row.description == "Destination set to SIP URI sip:alice@pbx.example.com"
    assert row.account_id == setup["c"].account_id and row.actor == setup["c"]
    after = client.get(_url(setup["did"])).content.decode()
    assert "now go to SIP URI sip:alice@pbx.example.com" in after and "Clear destination" in after


def test_changing_and_clearing_write_history(setup):
    client = _client(setup["c"])
    client.post(_url(setup["did"]), {"call_type": DEVICE, "destination": "1001"})
    client.post(_url(setup["did"]), {"call_type": PSTN, "destination": "+44 20 7946 0958"})
    assert _sub(setup, "c").destination == "+442079460958"
    assert client.post(_url(setup["did"]), {"clear": "1"}).status_code == 302
    sub = _sub(setup, "c")
    assert (sub.call_type, sub.destination) == ("", "")
    descriptions = list(DIDHistory.objects.filter(action="changed").values_list("description", flat=True))
    assert descriptions == [
        "Destination cleared (was PSTN number +442079460958)",
        "Destination set to PSTN number +442079460958 (was SIP device/extension 1001)",
        "Destination set to SIP device/extension 1001",
    ]
    client.post(_url(setup["did"]), {"clear": "1"})  # nothing to clear: no row
    assert DIDHistory.objects.filter(action="changed").count() == 3


@pytest.mark.parametrize("call_type, bad", [(SIP, "sip:a@b;transport=tcp>"), (SIP, "<script>"), (DEVICE, "al ice"),
                                            (PSTN, "12"), (SIP, "")])
def test_bad_input_is_shown_next_to_the_field_and_nothing_is_saved(setup, call_type, bad):
    response = _client(setup["c"]).post(_url(setup["did"]), {"call_type": call_type, "destination": bad})
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["destination"]
    html = response.content.decode()
    assert 'id="error_destination"' in html and "<script>" not in html.split("<main")[1].replace("<script src", "")
    assert _sub(setup, "c").destination == "" and not DIDHistory.objects.filter(action="changed").exists()


def test_an_unknown_call_type_is_refused(setup):
    response = _client(setup["c"]).post(_url(setup["did"]), {"call_type": "h323", "destination": "alice"})
    assert response.status_code == 200 and "call_type" in response.context["form"].errors
    assert _sub(setup, "c").call_type == ""


def test_a_reseller_that_sold_the_did_on_sees_its_buyers_destination_and_cannot_set_its_own(setup):
    set_destination(did_id=setup["did"].pk, account_id=setup["c"].account_id, call_type=DEVICE, destination="1001",
                    by=setup["c"])
    client = _client(setup["r1"])
    html = client.get(_url(setup["did"])).content.decode()
    assert "You sold this DID to Customer C" in html and "SIP device/extension" in html and "1001" in html
    assert 'name="destination"' not in html
    response = client.post(_url(setup["did"]), {"call_type": SIP, "destination": "sip:me@pbx.example.com"})
    assert response.status_code == 200 and "sold on to Customer C" in str(response.context["form"].errors)
    assert _sub(setup, "r1").destination == "" and _sub(setup, "c").destination == "1001"
    with pytest.raises(DestinationRefused):
        set_destination(did_id=setup["did"].pk, account_id=setup["r1"].account_id, call_type="", destination="",
                        by=setup["r1"])


def test_another_tenants_did_is_404(setup):
    client = _client(setup["r2"])
    assert client.get(_url(setup["did"])).status_code == 404
    assert client.post(_url(setup["did"]), {"call_type": DEVICE, "destination": "1001"}).status_code == 404
    assert client.post(_url(setup["did"]), {"clear": "1"}).status_code == 404
    assert client.get(reverse("billing:destination", args=[999999])).status_code == 404
    assert _client(setup["c"]).get(_url(setup["other"])).status_code == 404
    assert not DIDHistory.objects.filter(action="changed").exists()


def test_roles_anonymous_goes_to_login_the_admin_gets_403_on_the_portal_page(setup):
    response = Client().get(_url(setup["did"]))
    assert response.status_code == 302 and "/accounts/login/" in response.url
    assert Client().post(_url(setup["did"]), {"call_type": DEVICE, "destination": "1001"}).status_code == 302
    assert _client(setup["admin"]).get(_url(setup["did"])).status_code == 403
    admin_url = reverse("billing:holder_destination", args=[setup["did"].pk, setup["c"].account_id])
    for who in ("r1", "c"):
        assert _client(setup[who]).get(admin_url).status_code == 403
        assert _client(setup[who]).post(admin_url, {"call_type": DEVICE, "destination": "1001"}).status_code == 403
    assert Client().get(admin_url).status_code == 302
    assert _sub(setup, "c").destination == ""


def test_a_get_changes_nothing(setup):
    client = _client(setup["c"])
    client.get(_url(setup["did"]), {"call_type": DEVICE, "destination": "1001", "clear": "1"})
    assert _sub(setup, "c").destination == "" and not DIDHistory.objects.filter(action="changed").exists()


def test_posting_extra_fields_changes_nothing_else(setup):
    """Mass assignment: only the call type and destination of the logged-in holder's own subscription."""
    sub_before = _sub(setup, "c")
    did_before = DID.objects.get(pk=setup["did"].pk)
    balance = Account.objects.get(pk=setup["c"].account_id).balance
    _client(setup["c"]).post(_url(setup["did"]), {
        "call_type": DEVICE, "destination": "1001", "holder": setup["r2"].account_id,
        "account": setup["r2"].account_id, "account_id": setup["r2"].account_id, "price": "0", "status": "ended",
        "call_timeout": "600", "concurrent_calls": "99", "sell_price": "0", "balance": "999", "did": setup["other"].pk,
    })
    sub = _sub(setup, "c")
    assert sub.destination == "1001" and sub.pk == sub_before.pk
    assert (sub.status, sub.price, sub.sell_price, sub.account_id) == (
        sub_before.status, sub_before.price, sub_before.sell_price, sub_before.account_id)
    did = DID.objects.get(pk=setup["did"].pk)
    assert (did.call_timeout, did.concurrent_calls, did.holder_id) == (
        did_before.call_timeout, did_before.concurrent_calls, did_before.holder_id)
    assert Account.objects.get(pk=setup["c"].account_id).balance == balance
    assert _sub(setup, "r2", did="other").destination == ""


def test_the_admin_sets_a_holders_destination_and_sees_it_on_the_chain(setup):
    client = _client(setup["admin"])
    url = reverse("billing:holder_destination", args=[setup["did"].pk, setup["c"].account_id])
    html = client.get(url).content.decode()
    assert "Customer C" in html and 'name="destination"' in html
    assert client.post(url, {"call_type": PSTN, "destination": "+1 415 555 0100"}).status_code == 302
    assert _sub(setup, "c").destination == "+14155550100"
    assert DIDHistory.objects.get(action="changed").actor == setup["admin"]
    chain = client.get(reverse("billing:edit_info", args=[setup["did"].pk])).content.decode()
    assert "PSTN number" in chain and "+14155550100" in chain and "routes calls" in chain
    assert url in chain
    # Not a holder of this DID: 404.
    assert client.get(reverse("billing:holder_destination", args=[setup["did"].pk,
                                                                 setup["r2"].account_id])).status_code == 404


def test_my_dids_has_a_destination_button_per_row(setup):
    html = _client(setup["c"]).get(reverse("resellers:dids")).content.decode()
    assert f'href="{_url(setup["did"])}"' in html and ">Destination</a>" in html


def test_the_destination_page_shows_the_call_cost_preview(setup):
    html = _client(setup["r1"]).get(_url(setup["did"]), {"seconds": "47"}).content.decode()
    assert "Call cost preview" in html and "You pay (USD)" in html and "Your buyers pay (USD)" in html
    assert "47 s" in html


@pytest.mark.parametrize("text, country, stored", [
    ("020 7946 0958", "GB", "+442079460958"),  # a national number of the DID's country
    ("(415) 555-0100", "US", "+14155550100"),
    ("011 44 20 7946 0958", "US", "+442079460958"),  # the DID country's international prefix
    ("+44 (0) 20 7946 0958", "US", "+442079460958"),
    ("tel:+44-20-7946-0958", None, "+442079460958"),
])
def test_a_pstn_number_is_read_like_every_number_of_the_product(text, country, stored):
    assert normalise(PSTN, text, country=country) == stored


def test_the_page_reads_a_national_pstn_number_in_the_dids_country(setup):
    DID.objects.filter(pk=setup["did"].pk).update(country="GB")
    client = _client(setup["c"])
    assert "read in the DID's country (United Kingdom)" in client.get(_url(setup["did"])).content.decode()
    assert client.post(_url(setup["did"]), {"call_type": PSTN, "destination": "020 7946 0958"}).status_code == 302
    assert _sub(setup, "c").destination == "+442079460958"
