"""Issue 17: Edit Info gives each price one name. "Provider cost" is the DID's cost from its
provider (admins only), "You pay" / "<name> pays" the BUY COST, "You charge" / "<name> charges"
the SELL COST; a customer, who sells to nobody, has no sell side at all.
(The browser's view of the same: tests/browser/test_edit_info_labels.py.)"""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Account
from billing.ledger.funds import add_funds
from billing.subscriptions.purchase import purchase_did
from tests.factories import DIDFactory, make_account_user, make_admin

D = Decimal


def _get(user, url):
    client = Client()
    client.force_login(user)
    return client.get(url)


@pytest.fixture
def chain(db):
    """Provider cost 5; R1 buys at 5 + 20 and sells at 8 + 35 to its customer C."""
    admin = make_admin()
    did = DIDFactory(buy_cost="5", setup_fee="5", monthly_fee="20", billing_days=28)
    r1 = make_account_user(name="Reseller One")
    c = make_account_user(Account.Kind.CUSTOMER, parent=r1.account, name="Customer C")
    for user in (r1, c):
        add_funds(account_id=user.account_id, amount=D("100"))
    purchase_did(buyer_id=r1.account_id, did_id=did.pk, purchase_key="r1", sell_setup_fee=D("8"), sell_price=D("35"))
    purchase_did(buyer_id=c.account_id, did_id=did.pk, purchase_key="c")
    return dict(admin=admin, did=did, r1=r1, c=c)


def _mine(did):
    return reverse("billing:my_edit_info", args=[did.pk])


def test_the_operators_page_names_the_product_the_provider_cost_and_what_the_operator_charges(chain):
    response = _get(chain["admin"], reverse("billing:edit_info", args=[chain["did"].pk]))
    assert response.context["names"] == dict(buy="The DID product", sell="The operator charges")
    assert response.context["provider_cost"] == D("5")
    html = response.content.decode()
    assert '<td class="money" data-testid="provider-cost">5.0000</td>' in html
    assert "Provider cost</strong>: what the operator pays the provider" in html
    assert "Buy Cost (USD)" not in html


def test_a_reseller_never_sees_the_provider_cost(chain):
    response = _get(chain["r1"], _mine(chain["did"]))
    assert response.context["provider_cost"] is None
    assert response.context["names"] == dict(buy="You pay", sell="You charge")
    html = response.content.decode()
    assert "provider-cost" not in html and "Provider cost" not in html
    assert "You pay</strong>: what you pay the operator for this DID" in html


def test_a_customers_page_has_no_sell_side(chain):
    response = _get(chain["c"], _mine(chain["did"]))
    html = response.content.decode()
    assert response.context["names"]["buy"] == "You pay"
    assert "You pay</strong>: what you pay Reseller One for this DID." in html
    for absent in ("SELL COST", "You charge", "below you", "sell_price", "sell_setup_fee", "rates-state",
                   'data-testid="sell-', "Sell to", "Provider cost"):
        assert absent not in html, absent
    assert "A customer does not resell: this is what you pay." in html
    assert '<td class="money" data-testid="buy-price">35.0000</td>' in html


def test_the_admin_on_a_holders_page_sees_its_name_and_the_provider_cost(chain):
    did, r1, c = chain["did"], chain["r1"], chain["c"]
    reseller = _get(chain["admin"], reverse("billing:holder_edit_info", args=[did.pk, r1.account_id]))
    assert reseller.context["names"] == dict(buy="Reseller One pays", sell="Reseller One charges")
    assert reseller.context["provider_cost"] == D("5")
    customer = _get(chain["admin"], reverse("billing:holder_edit_info", args=[did.pk, c.account_id]))
    html = customer.content.decode()
    assert "Customer C pays" in html and "SELL COST" not in html and "Customer C charges" not in html
    assert "A customer does not resell: this is what it pays." in html
    assert '<td class="money" data-testid="provider-cost">5.0000</td>' in html


def test_the_admins_below_cost_warning_names_the_floor_it_is_below(chain):
    client = Client()
    client.force_login(chain["admin"])
    did, r1 = chain["did"], chain["r1"]
    operator = client.post(reverse("billing:edit_info", args=[did.pk]), {"sell_setup_fee": "0", "sell_price": "4"})
    assert "Below the provider cost: check “Sell below cost”" in operator.content.decode()
    holder = client.post(reverse("billing:holder_edit_info", args=[did.pk, r1.account_id]),
                         {"sell_setup_fee": "5", "sell_price": "15"})
    assert "Below what Reseller One pays: check “Sell below cost”" in holder.content.decode()
    assert "Below the buy cost" not in operator.content.decode() + holder.content.decode()
