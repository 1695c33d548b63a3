"""Issue 17 in Chromium: axe-core (vendored from the npm registry: tests/browser/vendor/,
axe.min.js with its licence) finds no serious or critical violation on each role's main
pages; the skip link and the focus ring work from the keyboard.

axe is injected as a script tag, which the portal's CSP (script-src 'self') refuses: the
browser context of this test alone bypasses the CSP (``bypass_csp=True``); tests/browser/
test_csp.py keeps checking the pages under the real policy.
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

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
BLOCKING = ("serious", "critical")

RUN_AXE = """async () => {
  const results = await axe.run(document, {resultTypes: ["violations"]});
  return results.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                       nodes: v.nodes.slice(0, 5).map(n => n.target.join(" "))}));
}"""


@pytest.fixture
def tab(_chromium, live_server):
    context = _chromium.get().new_context(base_url=live_server.url, viewport={"width": 1400, "height": 900},
                                          bypass_csp=True)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def _people():
    admin = make_admin()
    reseller = make_account_user(name="Reseller One")
    customer = make_account_user(Account.Kind.CUSTOMER, parent=reseller.account, name="Customer C")
    for user in (reseller, customer):
        add_funds(account_id=user.account_id, amount=Decimal("100"))
    did = DIDFactory(number="+18555801802")
    DIDFactory(number="+18555801803")
    purchase_did(buyer_id=reseller.account_id, did_id=did.pk, purchase_key="r")
    purchase_did(buyer_id=customer.account_id, did_id=did.pk, purchase_key="c")
    return admin, reseller, customer


def violations(tab, path: str) -> list[dict]:
    response = tab.goto(path)
    assert response.status == 200, path
    tab.add_script_tag(path=str(AXE))
    return tab.evaluate(RUN_AXE)


def blocking(found: list[dict]) -> list[dict]:
    return [v for v in found if v["impact"] in BLOCKING]


MAIN_PAGES = {
    "admin": ("/dids/", "/accounts/manage/", "/dids/create/"),
    "reseller": ("/portal/dids/", "/portal/dids/buy/", "/portal/customers/"),
    "customer": ("/portal/dids/", "/portal/statement/"),
}


def test_main_pages_of_each_role_have_no_serious_or_critical_violation(tab):
    admin, reseller, customer = _people()
    found = {}
    for role, user in (("admin", admin), ("reseller", reseller), ("customer", customer)):
        tab.context.clear_cookies()
        browser_login(tab, user.username, PASSWORD)
        # The admin's own pages of this part too: Create Account and the Suspend confirmation.
        extra = ("/accounts/manage/create/", f"/accounts/manage/{reseller.account_id}/status/") if role == "admin" else ()
        for path in (*MAIN_PAGES[role], *extra):
            found[f"{role} {path}"] = blocking(violations(tab, path))
    assert {where: v for where, v in found.items() if v} == {}


def test_axe_reports_what_it_should(tab):
    """The check above can fail: a button without a name and an image without alt text on a
    real page are critical violations."""
    admin = make_admin()
    browser_login(tab, admin.username, PASSWORD)
    tab.goto("/accounts/manage/")
    tab.evaluate("""document.querySelector('main').insertAdjacentHTML('beforeend',
        '<button type="button" id="nameless"></button><img id="no-alt" src="/static/portal/favicon.svg">')""")
    tab.add_script_tag(path=str(AXE))
    ids = {v["id"] for v in blocking(tab.evaluate(RUN_AXE))}
    assert {"button-name", "image-alt"} <= ids


def test_skip_link_is_first_and_moves_focus_to_the_page(tab):
    admin = make_admin()
    browser_login(tab, admin.username, PASSWORD)
    tab.goto("/accounts/manage/")
    skip = tab.get_by_role("link", name="Skip to main content")
    assert not skip.is_visible() or skip.bounding_box()["y"] < 0  # out of sight until focused
    tab.keyboard.press("Tab")
    assert tab.evaluate("document.activeElement.textContent") == "Skip to main content"
    assert skip.bounding_box()["y"] >= 0  # shown while focused
    tab.keyboard.press("Enter")
    assert tab.evaluate("document.activeElement.id") == "main"
    tab.keyboard.press("Tab")  # the next stop is inside the page, not the menu
    assert tab.evaluate("document.querySelector('main').contains(document.activeElement)")


def test_keyboard_focus_is_visible(tab):
    admin = make_admin()
    browser_login(tab, admin.username, PASSWORD)
    tab.goto("/accounts/manage/")
    for selector in ("main a.btn-primary", "header a.nav-link"):
        tab.locator(selector).first.focus()
        tab.keyboard.press("Shift+Tab")  # from the keyboard, so :focus-visible applies
        tab.keyboard.press("Tab")
        style = tab.evaluate("(() => { const s = getComputedStyle(document.activeElement); "
                             "return [s.outlineStyle, parseFloat(s.outlineWidth)]; })()")
        assert style[0] == "solid" and style[1] >= 3, (selector, style)
