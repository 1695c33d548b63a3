"""Issue 17, phones: no main page of any role scrolls sideways in a 390 x 844 viewport (an
iPhone-sized screen): tables scroll in their own box, search panels and forms stack.

Each page is also saved as a screenshot in /tmp/shots/h_phone/ to be looked at.
"""

from decimal import Decimal
from pathlib import Path

import pytest

from accounts.models import Account
from billing.ledger.funds import add_funds
from billing.subscriptions.purchase import purchase_did
from tests.conftest import browser_login
from tests.factories import PASSWORD, DIDFactory, make_account_user, make_admin

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
SHOTS = Path("/tmp/shots/h_phone")


@pytest.fixture
def phone(_chromium, live_server):
    context = _chromium.get().new_context(base_url=live_server.url, viewport=PHONE)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def _world():
    """Numbers held and for sale, a customer under the reseller, a statement line each."""
    admin = make_admin()
    reseller = make_account_user(name="Reseller One")
    customer = make_account_user(Account.Kind.CUSTOMER, parent=reseller.account, name="Customer C")
    for user in (reseller, customer):
        add_funds(account_id=user.account_id, amount=Decimal("100"))
    held = DIDFactory(number="+18555801802", city="Los Angeles", province="California")
    for_sale = DIDFactory(number="+18555801803", city="San Francisco", province="California")
    DIDFactory(number="+442079460000", country="GB", city="London", province="England")
    purchase_did(buyer_id=reseller.account_id, did_id=held.pk, purchase_key="r")
    purchase_did(buyer_id=customer.account_id, did_id=held.pk, purchase_key="c")
    return admin, reseller, customer, held, for_sale


def _pages(reseller, customer, held, for_sale):
    return {
        "admin": {
            "home": "/", "dids": "/dids/", "create-product": "/dids/create/", "providers": "/dids/providers/",
            "accounts": "/accounts/manage/", "account": f"/accounts/manage/{reseller.account_id}/",
            "calls": "/calls/", "margins": "/margins/", "revenue-assurance": "/billing/audit/",
            "audit-trail": "/audit/", "did-import": "/dids/import/", "edit-info": f"/dids/{held.pk}/edit-info/",
        },
        "reseller": {
            "home": "/", "dids": "/portal/dids/", "buy-dids": "/portal/dids/buy/",
            "purchase": f"/portal/dids/buy/{for_sale.pk}/", "edit-info": f"/portal/dids/{held.pk}/edit-info/",
            "customers": "/portal/customers/", "customer": f"/portal/customers/{customer.account.number}/",
            "statement": "/portal/statement/", "margins": "/portal/margins/", "notices": "/notices/",
        },
        "customer": {
            "home": "/", "dids": "/portal/dids/", "buy-dids": "/portal/dids/buy/", "statement": "/portal/statement/",
            "calls": "/portal/calls/", "edit-info": f"/portal/dids/{held.pk}/edit-info/",
        },
    }


def page_width(tab, path: str, shot: str) -> int:
    response = tab.goto(path)
    assert response.status == 200, path
    SHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SHOTS / f"{shot}.png"), full_page=True)
    return tab.evaluate("document.documentElement.scrollWidth")


def test_no_main_page_of_any_role_scrolls_sideways_on_a_phone(phone):
    admin, reseller, customer, held, for_sale = _world()
    users = {"admin": admin, "reseller": reseller, "customer": customer}
    too_wide = {}
    for role, pages in _pages(reseller, customer, held, for_sale).items():
        phone.context.clear_cookies()
        browser_login(phone, users[role].username, PASSWORD)
        for name, path in pages.items():
            width = page_width(phone, path, f"{role}-{name}")
            if width > PHONE["width"]:
                too_wide[f"{role} {name} {path}"] = width
    assert too_wide == {}


BOXES = """(selector) => [...document.querySelectorAll(selector)].map(e => {
  const r = e.getBoundingClientRect(); return {name: e.name || e.id, left: r.left, right: r.right, width: r.width};
})"""


def test_edit_info_and_buy_dids_controls_are_whole_on_a_phone(phone):
    """scrollWidth cannot see what a table's own scroll box hides: the sell cost inputs of Edit
    Info and the call cost preview fit the screen, and the search boxes of Buy DIDs keep a usable
    width."""
    admin, reseller, customer, held, for_sale = _world()
    browser_login(phone, reseller.username, PASSWORD)
    phone.goto(f"/portal/dids/{held.pk}/edit-info/")
    inputs = phone.evaluate(BOXES, ".edit-info input.form-control")
    assert len(inputs) >= 7
    assert [i for i in inputs if i["left"] < 0 or i["right"] > PHONE["width"] or i["width"] < 60] == []
    for table in (".edit-info", "[data-testid=call-preview-table]"):  # nothing hidden in its scroll box
        assert phone.evaluate(f"""(() => {{ const box = document.querySelector('{table}').parentElement;
            return box.scrollWidth <= box.clientWidth; }})()"""), table
    phone.goto("/portal/dids/buy/")
    boxes = phone.evaluate(BOXES, "form[role=search] input.form-control, form[role=search] select")
    assert len(boxes) >= 5
    assert [b for b in boxes if b["width"] < 100 or b["right"] > PHONE["width"]] == []


def test_the_width_check_can_fail(phone):
    """A wide element outside any scrolling box makes the page wider than the phone."""
    admin = make_admin()
    browser_login(phone, admin.username, PASSWORD)
    phone.goto("/accounts/manage/")
    phone.evaluate("""document.querySelector('main').insertAdjacentHTML('beforeend',
        '<table><tr>' + '<td>wide&nbsp;wide&nbsp;wide</td>'.repeat(20) + '</tr></table>')""")
    assert phone.evaluate("document.documentElement.scrollWidth") > PHONE["width"]
