"""Issue 8 in Chromium: the main pages of each role work under the Content Security Policy.

Every visit records the page's ``securitypolicyviolation`` events (a listener added by
an init script; Playwright's init scripts are not subject to the page's CSP) and the
console's errors and warnings (Chromium logs "Refused to ..." there too), and the test
wants none. Bootstrap's collapse (the DID list's Search panel, the navbar toggler on a
narrow window) sets element.style from JS, which the CSP allows: they must still open.
"""

from decimal import Decimal

import pytest

from accounts.models import Account
from billing.ledger.funds import add_funds
from billing.subscriptions.purchase import purchase_did
from tests.conftest import browser_login
from tests.factories import PASSWORD, DIDFactory, make_account_user, make_admin

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push({directive: e.violatedDirective, blocked: e.blockedURI,
                               source: e.sourceFile, line: e.lineNumber, sample: e.sample});
});
"""


class Watch:
    """The page's CSP violations and console errors/warnings, visit by visit."""

    def __init__(self, page):
        self.page = page
        self.console: list[str] = []
        self.errors: list[str] = []
        page.add_init_script(RECORD_VIOLATIONS)
        page.on("console", lambda m: self.console.append(f"{m.type}: {m.text} ({page.url})")
                if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: self.errors.append(f"{e} ({page.url})"))

    def visit(self, path: str) -> None:
        response = self.page.goto(path)
        assert response.status == 200, path
        policy = response.headers.get("content-security-policy", "")
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy, path
        self.page.wait_for_load_state("load")

    def violations(self) -> list[dict]:
        return self.page.evaluate("window.__cspViolations")

    def assert_clean(self, where: str) -> None:
        assert self.violations() == [], where
        assert self.console == [], where
        assert self.errors == [], where


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
    return admin, reseller, customer, did


def test_the_pages_of_each_role_run_with_no_violation(page):
    admin, reseller, customer, did = _people()
    watch = Watch(page)

    watch.visit("/accounts/login/")
    watch.assert_clean("login page")

    browser_login(page, admin.username, PASSWORD)
    watch.visit("/dids/")
    panel = page.locator("#search-panel")
    assert not panel.is_visible()
    page.locator('a[href="#search-panel"]').click()
    panel.wait_for(state="visible")
    page.wait_for_function("() => !document.querySelector('#search-panel').classList.contains('collapsing')")
    assert "show" in panel.get_attribute("class")
    assert page.locator("#search-panel #id_number").is_visible()
    page.locator('a[href="#search-panel"]').click()  # and closes again
    panel.wait_for(state="hidden")
    page.get_by_label("Select all on this page").check()  # portal/bulk-select.js
    assert page.locator("#bulk-checked-count").inner_text() == "2 checked"
    watch.assert_clean("admin DID list")
    for path in (f"/dids/{did.pk}/edit-info/", "/accounts/manage/", "/calls/", "/calls/import/"):
        watch.visit(path)
        watch.assert_clean(path)

    page.context.clear_cookies()  # log out
    browser_login(page, reseller.username, PASSWORD)
    for path in ("/portal/dids/", "/portal/dids/buy/", f"/portal/dids/{did.pk}/edit-info/",
                 f"/portal/dids/{did.pk}/destination/", "/portal/statement/", "/portal/calls/"):
        watch.visit(path)
        watch.assert_clean(path)

    page.context.clear_cookies()  # log out
    browser_login(page, customer.username, PASSWORD)
    watch.visit(f"/portal/dids/{did.pk}/destination/")
    page.get_by_label("Duration (Sec.)").fill("47")
    page.get_by_role("button", name="Show cost").click()
    page.wait_for_load_state("load")
    assert page.get_by_test_id("call-preview-typed").is_visible()
    watch.assert_clean("customer destination + call preview")


def test_the_navbar_toggler_opens_the_menu_on_a_narrow_window(page):
    admin = make_admin()
    watch = Watch(page)
    page.set_viewport_size({"width": 800, "height": 900})
    browser_login(page, admin.username, PASSWORD)
    watch.visit("/accounts/manage/")
    menu = page.locator("#mainnav")
    assert not menu.is_visible()
    page.locator(".navbar-toggler").click()
    menu.wait_for(state="visible")
    page.wait_for_function("() => !document.querySelector('#mainnav').classList.contains('collapsing')")
    page.get_by_test_id("user-menu").click()  # the dropdown: Bootstrap's script, under the CSP
    assert page.get_by_role("button", name="Log out").is_visible()
    watch.assert_clean("navbar toggler")


def test_the_listener_sees_inline_style_and_script_markup(page):
    """The watch above would catch a violation: markup style and handlers are refused and
    reported, while a style set from JS (what Bootstrap does) is allowed."""
    watch = Watch(page)
    watch.visit("/accounts/login/")
    page.evaluate("document.querySelector('h1').style.color = 'rgb(255, 0, 0)'")  # CSSOM: allowed
    assert watch.violations() == []
    page.evaluate("""document.body.insertAdjacentHTML('beforeend',
        '<p id="inline" style="color: rgb(255, 0, 0)">x</p><img id="handler" src="data:," onerror="window.ran = 1">')""")
    page.wait_for_function("() => window.__cspViolations.length >= 2")
    directives = {v["directive"] for v in watch.violations()}
    assert directives == {"style-src-attr", "script-src-attr"}, watch.violations()
    assert page.evaluate("getComputedStyle(document.getElementById('inline')).color") != "rgb(255, 0, 0)"
    assert page.evaluate("window.ran") is None
    assert any("Content Security Policy" in line for line in watch.console), watch.console  # said in the console too
    assert page.evaluate("getComputedStyle(document.querySelector('h1')).color") == "rgb(255, 0, 0)"
