"""The call cost preview (issue 7): fixed durations and a typed one, priced by
dids.rating.call_cost, on Edit Info (every door), the admin's Edit Product
page and the destination page."""

from decimal import Decimal

import pytest
from django.http import QueryDict
from django.test import Client
from django.urls import reverse

from accounts.models import Account
from dids.call_preview import call_preview
from billing.ledger.funds import add_funds
from billing.subscriptions.purchase import purchase_did
from billing.prices.rate_book import set_sell_rates
from dids.rating import Rates
from tests.factories import DIDFactory, make_account_user, make_admin

D = Decimal
EXAMPLE = Rates(D("0.05"), 10, D("0.60"), 30, 6)  # DESIGN.md section 6
HIGHER = Rates(D("0.06"), 5, D("0.90"), 36, 12)


def _preview(query, columns=(("Pays", EXAMPLE),)):
    return call_preview(QueryDict(query) if isinstance(query, str) else query, list(columns))


def _costs(preview) -> dict[int, list[Decimal]]:
    return {row.seconds: row.costs for row in preview.rows}


@pytest.mark.parametrize("seconds, cost", [(47, "0.4700"), (15, "0.3500"), (8, "0.0500"), (0, "0")])
def test_the_worked_example_of_design_md(seconds, cost):
    preview = _preview(f"seconds={seconds}")
    typed = preview.rows[-1]
    assert typed.typed and typed.seconds == seconds and typed.costs == [D(cost)]


def test_fixed_durations_are_always_there():
    preview = _preview("")
    assert [(row.label, row.seconds) for row in preview.rows] == [("10 s", 10), ("30 s", 30), ("60 s", 60),
                                                                   ("5 min", 300)]
    # 10 s: inside the grace time; 30 s: the initial block; 60 s: 30 + 4 blocks of 6; 5 min: 30 + 44 blocks of 6
    assert _costs(preview) == {10: [D("0.0500")], 30: [D("0.3500")], 60: [D("0.5900")], 300: [D("2.9900")]}


def test_one_column_per_set_of_rates():
    preview = _preview("seconds=47", [("You pay", EXAMPLE), ("Your buyers pay", HIGHER)])
    assert preview.columns == ["You pay", "Your buyers pay"]
    assert _costs(preview)[47] == [D("0.4700"), D("0.7800")]


@pytest.mark.parametrize("bad", ["abc", "-1", "86401", "1.5", "1e3", "4" * 5000, " "])
def test_bad_input_gets_a_message_and_the_fixed_rows_stay(bad):
    query = QueryDict(mutable=True)
    query["seconds"] = bad
    preview = _preview(query)
    if bad.strip():
        assert preview.form.errors["seconds"] == ["Enter whole seconds from 0 to 86400, e.g. 47."]
    assert [row.seconds for row in preview.rows] == [10, 30, 60, 300]


def test_the_largest_duration_is_accepted():
    assert _preview("seconds=86400").rows[-1].seconds == 86400


# --- on the pages -----------------------------------------------------------------------------------------

def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def setup(db):
    admin = make_admin()
    did = DIDFactory(connection_cost="0.05", grace_time=10, cost_per_min="0.60", initial_increment=30, increment=6)
    r1 = make_account_user(name="Reseller One")
    c = make_account_user(Account.Kind.CUSTOMER, parent=r1.account, name="Customer C")
    for user in (r1, c):
        add_funds(account_id=user.account_id, amount=D("100"))
    purchase_did(buyer_id=r1.account_id, did_id=did.pk, purchase_key="r1")
    purchase_did(buyer_id=c.account_id, did_id=did.pk, purchase_key="c")
    set_sell_rates(did_id=did.pk, seller_id=r1.account_id, rates=HIGHER, by=r1)
    return dict(admin=admin, did=did, r1=r1, c=c)


def _table(html: str) -> str:
    return html.split('data-testid="call-preview-table"')[1].split("</table>")[0]


def test_a_resellers_edit_info_shows_what_it_pays_and_what_its_buyers_pay(setup):
    response = _client(setup["r1"]).get(reverse("billing:my_edit_info", args=[setup["did"].pk]), {"seconds": "47"})
    html = response.content.decode()
    assert "Call cost preview" in html and "Show cost" in html and 'method="get"' in html
    table = _table(html)
    assert "You pay (USD)" in table and "Your buyers pay (USD)" in table
    assert "<td class=\"money\">0.4700</td>" in table and "<td class=\"money\">0.7800</td>" in table
    assert 'data-testid="call-preview-typed"' in table


def test_a_customers_edit_info_shows_what_it_pays(setup):
    html = _client(setup["c"]).get(reverse("billing:my_edit_info", args=[setup["did"].pk]),
                                   {"seconds": "47"}).content.decode()
    table = _table(html)
    assert "You pay (USD)" in table and "buyers pay" not in table
    assert "0.7800" in table  # C pays R1's sell rates


def test_the_admins_doors_show_the_first_holders_cost_and_a_holders_columns(setup):
    client = _client(setup["admin"])
    operator = _table(client.get(reverse("billing:edit_info", args=[setup["did"].pk]), {"seconds": "47"})
                      .content.decode())
    assert "First holder pays (USD)" in operator and "0.4700" in operator
    holder = _table(client.get(reverse("billing:holder_edit_info", args=[setup["did"].pk, setup["r1"].account_id]),
                               {"seconds": "47"}).content.decode())
    assert "Reseller One pays (USD)" in holder and "Its buyers pay (USD)" in holder and "0.7800" in holder


def test_the_edit_product_page_previews_the_saved_rates(setup):
    client = _client(setup["admin"])
    url = reverse("dids:edit", args=[setup["did"].pk])
    html = client.get(url, {"seconds": "47"}).content.decode()
    assert "First holder pays (USD)" in html and "0.4700" in _table(html)
    # An invalid post shows the form's errors and still the saved rates (never the typed ones).
    response = client.post(url, {"number": setup["did"].number, "monthly_fee": "20", "billing_days": "28",
                                 "cost_per_min": "9.99", "increment": "0"})
    assert response.status_code == 200 and response.context["form"].errors
    assert "0.3500" in _table(response.content.decode())  # 30 s at the saved 0.60/min


def test_bad_input_on_a_page_is_shown_next_to_the_field(setup):
    html = _client(setup["r1"]).get(reverse("billing:my_edit_info", args=[setup["did"].pk]),
                                    {"seconds": "<b>x</b>"}).content.decode()
    assert 'id="error_seconds"' in html and "Enter whole seconds from 0 to 86400" in html
    assert 'value="&lt;b&gt;x&lt;/b&gt;"' in html and "<b>x</b>" not in html
    assert "5 min" in _table(html)


def test_the_preview_form_keeps_the_chosen_buyer(setup):
    html = _client(setup["r1"]).get(reverse("billing:my_edit_info", args=[setup["did"].pk]),
                                    {"buyer": setup["c"].account_id}).content.decode()
    preview = html.split('data-testid="call-preview"')[1]
    assert f'<input type="hidden" name="buyer" value="{setup["c"].account_id}">' in preview
