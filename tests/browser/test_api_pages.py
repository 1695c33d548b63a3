"""The API's pages in Chromium under the portal's CSP: the API tokens page (create: the secret
once; list; revoke behind a confirmation), Swagger UI and Redoc, each with no CSP violation and
no console error."""

import re

import pytest

from accounts.models import Account
from api.models import ApiToken
from api.tokens import digest
from tests.browser.test_csp import Watch
from tests.conftest import browser_login
from tests.factories import PASSWORD, make_account_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_create_list_and_revoke_a_token_with_no_violation(page):
    user = make_account_user(Account.Kind.CUSTOMER, name="Customer API")
    watch = Watch(page)
    browser_login(page, user.username, PASSWORD)
    page.get_by_test_id("user-menu").click()
    page.get_by_role("link", name="API tokens").click()
    page.wait_for_url("**/api-tokens/")
    watch.assert_clean("API tokens page")
    page.get_by_test_id("create-api-token").click()
    page.get_by_label("Name").fill("Storefront")
    page.get_by_label("Expires").select_option("90")
    page.get_by_role("button", name="Create token").click()
    secret = page.get_by_test_id("api-token").input_value()
    assert secret.startswith("didp_")
    row = ApiToken.objects.get()
    assert row.digest == digest(secret) and row.account_id == user.account_id
    watch.assert_clean("token created")
    page.get_by_role("link", name="Done").click()
    table = page.get_by_test_id("api-tokens")
    assert "Storefront" in table.inner_text() and secret not in page.content()
    page.get_by_role("link", name="Revoke").click()
    watch.assert_clean("revoke confirmation")
    page.get_by_role("button", name="Revoke").click()
    page.wait_for_url("**/api-tokens/")
    assert "revoked" in page.content()
    row.refresh_from_db()
    assert row.revoked_at is not None
    watch.assert_clean("after revoke")


def test_swagger_ui_loads_the_schema_with_no_violation(page):
    watch = Watch(page)
    watch.visit("/api/v1/docs/")
    page.get_by_text("/api/v1/account/").first.wait_for(state="visible")
    assert page.locator(".swagger-ui .info .title").inner_text().startswith("DID Portal API")
    page.get_by_role("button", name="Authorize").first.wait_for(state="visible")  # the bearer scheme
    watch.assert_clean("Swagger UI")


REDOCLY_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


def test_redoc_loads_the_schema_and_contacts_no_other_host(page):
    """Redoc's styles carry the page's nonce (or match its two hashes); the one thing refused is
    the Redocly logo its side menu always asks for from Redocly's CDN: the CSP keeps the visitor
    from contacting another host, and Redoc hides the image (docs/api.md)."""
    requested = []
    page.on("response", lambda response: requested.append(response.url))  # a blocked request gets none
    watch = Watch(page)
    watch.visit("/api/v1/redoc/")
    page.get_by_role("heading", name=re.compile("The token's account")).first.wait_for(state="visible")
    page.wait_for_function("() => window.__cspViolations.length >= 1")
    assert [(v["directive"], v["blocked"]) for v in watch.violations()] == [("img-src", REDOCLY_LOGO)]
    assert [line for line in watch.console if REDOCLY_LOGO not in line] == []
    assert watch.errors == []
    assert {url.split("/")[2] for url in requested} == {page.url.split("/")[2]}  # answered by this site only
    policy = page.request.get("/api/v1/redoc/").headers["content-security-policy"]
    assert "unsafe-inline" not in policy and "script-src 'self';" in policy + ";"
