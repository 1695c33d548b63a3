"""Issue 17's defects, one browser test each, as a user meets them in Chromium.

b  a Purchase URL of a DID sold meanwhile: a page that says so and leads back to Buy DIDs;
d  a One Time purchase reads once, not "every 28 days";
f  Buy DIDs: a country dropdown (no 2-character box), city, province, price range, sort by price
   and by setup fee;
g  every role lands on a home page of its figures, each a link to its list;
h  the admin's Suspend asks first;
i  each menu item opens the page of its name ("Audit" no longer opens the billing audit);
j  every Create Product field explains itself;
k  both import pages give a sample CSV (the DID sample imports as it stands);
l  margins add 28-, 30- and 31-day periods per month, and the page says so;
m  a large browser import goes to the worker with a progress page that survives a reload.

Each test fails on the code before issue 17 (commit 1defdd8, checked by running this file on
`git archive 1defdd8`), on what the user sees: b a "404 · Not found" page; d "then 20.0000 USD
every 28 days (One Time: ...)"; f no Country dropdown; g the admin lands on /dids/; h one click
suspends; i the menu has "Audit"; j "Product Category has no help"; k no sample
link; l the reseller pays "89.0000" a month; m the import is done in the request ("Import #1").
Only imports that existed then are used here, so that it fails there on behaviour, not on an
ImportError."""

import csv
import io
import re
from decimal import Decimal
from urllib.parse import urlparse

import pytest
from django.core.management import call_command

from accounts.models import Account
from billing.ledger.funds import add_funds
from billing.subscriptions.purchase import purchase_did
from dids.models import DID, DIDImport
from tests.conftest import browser_login
from tests.factories import PASSWORD, DIDFactory, make_account_user, make_admin

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
D = Decimal


def _reseller(funds="100", **fields):
    user = make_account_user(kind=Account.Kind.RESELLER, **fields)
    add_funds(account_id=user.account_id, amount=D(funds))
    return user


def _decimal(text: str) -> Decimal:
    """A money or count figure as shown (thousands separators and currency words aside)."""
    return Decimal(re.sub(r"[^0-9.\-]", "", text))


def _purchase_link(page, did):
    return page.locator(f"a[href$='/portal/dids/buy/{did.pk}/']")


def _shows_number(locator, did) -> bool:
    """Whether the number appears, in whatever format the page writes numbers."""
    return did.number[-10:] in re.sub(r"\D", "", locator.inner_text())


def _heading(page) -> str:
    return " ".join(page.locator("h1").first.inner_text().split())


# --- b: a Purchase page of a DID that has just sold ------------------------------------------

def test_b_purchase_of_a_did_sold_meanwhile_says_so_and_leads_back(page, default_provider):
    did = DIDFactory(number="+18555801802")
    other = DIDFactory(number="+18555801803")
    buyer, rival = _reseller(), _reseller()
    browser_login(page, buyer.username, PASSWORD)
    page.goto("/portal/dids/buy/")
    assert _purchase_link(page, did).count() == 1  # offered when the page was opened

    purchase_did(buyer_id=rival.account_id, did_id=did.pk, purchase_key="rival")  # sold in the meantime
    _purchase_link(page, did).click()

    assert "No DID matches the given query" not in page.content()
    assert _heading(page) == "Not for sale"
    assert "was just sold to someone else" in page.get_by_test_id("purchase-gone").inner_text()
    page.get_by_role("link", name="Back to Buy DIDs").click()
    page.wait_for_url("**/portal/dids/buy/")
    assert _heading(page) == "Buy DIDs"
    assert _offered(page) == [other.pk]  # the other one is still offered


# --- d: One Time reads once -------------------------------------------------------------------

def test_d_a_one_time_purchase_reads_once(page, default_provider):
    did = DIDFactory(number="+18555801802", setup_fee="5", monthly_fee="20", billing_days=28,
                     billing_type=DID.BillingType.ONE_TIME)
    buyer = _reseller()
    browser_login(page, buyer.username, PASSWORD)
    page.goto("/portal/dids/buy/")
    _purchase_link(page, did).click()
    charge = " ".join(page.locator("p", has=page.get_by_test_id("charge-now")).inner_text().split())
    assert "every 28 days" not in charge, charge
    assert "once" in charge and "not renewed" in charge, charge


# --- f: Buy DIDs' search ----------------------------------------------------------------------

COUNTRY = re.compile(r"^Country:?$")


def _offered(page) -> list[int]:
    """The DIDs listed, top to bottom (by their Purchase links)."""
    hrefs = page.locator("tbody a[href*='/portal/dids/buy/']").evaluate_all("els => els.map(e => e.pathname)")
    return [int(href.rstrip("/").rsplit("/", 1)[1]) for href in hrefs]


def test_f_buy_dids_filters_by_country_city_province_price_and_sorts_by_price(page, default_provider):
    tokyo = DIDFactory(number="+81312345678", country="JP", city="Tokyo", province="Kanto", setup_fee="3",
                       monthly_fee="30")
    osaka = DIDFactory(number="+81612345678", country="JP", city="Osaka", province="Kansai", setup_fee="1",
                       monthly_fee="12")
    nagoya = DIDFactory(number="+81522345678", country="JP", city="Nagoya", province="Chubu", setup_fee="2",
                        monthly_fee="20")
    DIDFactory(number="+18555801802", country="US", city="Austin", province="Texas", monthly_fee="5")
    buyer = _reseller()
    browser_login(page, buyer.username, PASSWORD)
    page.goto("/portal/dids/buy/")

    # Japan is a choice of the pool's countries, not two letters cut from what was typed.
    country = page.get_by_label(COUNTRY)
    assert "Japan" in country.locator("option[value=JP]").inner_text()
    country.select_option("JP")
    page.get_by_role("button", name="Search", exact=True).click()
    assert sorted(_offered(page)) == sorted([tokyo.pk, osaka.pk, nagoya.pk])
    assert "No Records" not in page.locator("table").inner_text()

    page.get_by_label("City").fill("tokyo")
    page.get_by_role("button", name="Search", exact=True).click()
    assert _offered(page) == [tokyo.pk]

    page.get_by_label("City").fill("")
    page.get_by_label("Province").fill("Kansai")
    page.get_by_role("button", name="Search", exact=True).click()
    assert _offered(page) == [osaka.pk]

    page.get_by_label("Province").fill("")
    page.get_by_label("Price from (USD)").fill("10")
    page.get_by_label("Price to (USD)").fill("25")
    page.get_by_role("button", name="Search", exact=True).click()
    assert sorted(_offered(page)) == sorted([osaka.pk, nagoya.pk])

    page.get_by_role("link", name="Clear").click()
    page.get_by_label(COUNTRY).select_option("JP")
    page.get_by_role("button", name="Search", exact=True).click()
    page.locator("thead").get_by_role("link", name="Price", exact=True).click()
    assert _offered(page) == [osaka.pk, nagoya.pk, tokyo.pk]  # 12, 20, 30
    assert [_decimal(t) for t in page.get_by_test_id("offer-price").all_inner_texts()] == [D(12), D(20), D(30)]
    page.locator("thead").get_by_role("link", name="Setup Fee", exact=True).click()
    assert _offered(page) == [osaka.pk, nagoya.pk, tokyo.pk]  # 1, 2, 3
    page.locator("thead").get_by_role("link", name=re.compile(r"^Setup Fee")).click()  # again: descending
    assert _offered(page) == [tokyo.pk, nagoya.pk, osaka.pk]


# --- g: a home page per role ------------------------------------------------------------------

def test_g_admin_and_reseller_land_on_their_home_page_whose_figures_link_to_lists(page, default_provider):
    make_admin()
    DIDFactory(number="+18555801802")
    DIDFactory(number="+18555801803")
    held = DIDFactory(number="+18555801804")
    reseller = _reseller()
    purchase_did(buyer_id=reseller.account_id, did_id=held.pk, purchase_key="r")

    browser_login(page, "admin", PASSWORD)
    assert urlparse(page.url).path == "/"
    assert _heading(page) == "Home"
    assert _decimal(page.get_by_test_id("value-dids-free").inner_text()) == 2
    assert _decimal(page.get_by_test_id("value-dids-sold").inner_text()) == 1
    page.get_by_test_id("figure-dids-free").click()
    page.wait_for_url("**/dids/?*")
    assert _heading(page).startswith("DIDs")
    assert page.get_by_test_id("records-counter").inner_text().endswith("of 2 Records")

    page.context.clear_cookies()
    browser_login(page, reseller.username, PASSWORD)
    assert _heading(page) == "Home"
    assert _decimal(page.get_by_test_id("value-numbers").inner_text()) == 1
    assert _decimal(page.get_by_test_id("value-balance").inner_text()) == D("75")  # 100 - 5 - 20
    page.get_by_test_id("figure-numbers").click()
    page.wait_for_url("**/portal/dids/")
    assert urlparse(page.url).path == "/portal/dids/"
    assert _shows_number(page.locator("table"), held)


# --- h: Suspend asks first --------------------------------------------------------------------

def test_h_the_admins_suspend_shows_a_confirmation_page_first(page, default_provider):
    make_admin()
    reseller = _reseller(name="Reseller One")
    browser_login(page, "admin", PASSWORD)
    page.goto(f"/accounts/manage/{reseller.account_id}/")
    page.get_by_role("link", name="Suspend").or_(page.get_by_role("button", name="Suspend")).first.click()
    page.wait_for_load_state()

    assert Account.objects.get(pk=reseller.account_id).status == Account.Status.ACTIVE  # one click did nothing
    assert _heading(page).startswith("Suspend Reseller One")
    assert "cannot log in or buy" in page.get_by_test_id("status-meaning").inner_text()
    page.get_by_role("link", name="Cancel").click()
    assert Account.objects.get(pk=reseller.account_id).status == Account.Status.ACTIVE

    page.get_by_role("link", name="Suspend").click()
    page.get_by_role("button", name="Suspend").click()
    page.wait_for_url(f"**/accounts/manage/{reseller.account_id}/")
    assert Account.objects.get(pk=reseller.account_id).status == Account.Status.SUSPENDED
    assert page.get_by_role("link", name="Reactivate").count() == 1


# --- i: menu items named after their pages ----------------------------------------------------

def test_i_each_admin_menu_item_opens_the_page_of_its_name(page, default_provider):
    make_admin()
    browser_login(page, "admin", PASSWORD)
    menu = page.locator("#mainnav ul.navbar-nav.me-auto > li > a.nav-link")
    labels = [" ".join(t.split()) for t in menu.all_inner_texts()]
    assert "Audit" not in labels
    assert "Revenue assurance" in labels and "Audit trail" in labels
    for label in labels:
        menu.get_by_text(label, exact=True).click()
        page.wait_for_load_state()
        assert _heading(page).startswith(label), (label, _heading(page))
        assert page.title().startswith(label), (label, page.title())


# --- j: Create Product's help ----------------------------------------------------------------

def test_j_every_create_product_field_has_help_under_it(page, default_provider):
    make_admin()
    browser_login(page, "admin", PASSWORD)
    page.goto("/dids/create/")
    fields = page.locator("form [id^=div_id_]")
    assert fields.count() >= 18  # every field of the seed's form (and Product Category)
    for i in range(fields.count()):
        field = fields.nth(i)
        label = " ".join(field.locator("label").first.inner_text().split())
        help_text = field.locator(".form-text")
        assert help_text.count() == 1 and help_text.is_visible(), f"{label} has no help"
        assert len(help_text.inner_text().strip()) > 10, label
    # Read next to its field, in the seed manual's words.
    assert "Example: 60 to charge every minute" in page.locator("#div_id_increment").inner_text()
    assert "renews every Billing Days" in page.locator("#div_id_billing_type").inner_text()


# --- k: sample CSVs ---------------------------------------------------------------------------

def test_k_both_import_pages_give_a_sample_csv_and_the_did_sample_imports(page, default_provider, settings,
                                                                           tmp_path):
    settings.DID_IMPORT_DIR = str(tmp_path / "imports")
    make_admin()
    browser_login(page, "admin", PASSWORD)

    page.goto("/dids/")
    page.get_by_role("link", name="Import", exact=True).click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download a sample CSV").click()
    sample = tmp_path / download.value.suggested_filename
    download.value.save_as(sample)
    rows = list(csv.reader(io.StringIO(sample.read_text(encoding="utf-8-sig"))))
    assert rows[0][:2] == ["Product Category", "DID"] and len(rows) > 1

    page.get_by_label("CSV file").set_input_files(str(sample))
    page.get_by_role("button", name="Preview").click()
    page.get_by_role("button", name=f"Import {len(rows) - 1} DIDs").click()
    page.wait_for_url("**/dids/imports/*/")
    assert DIDImport.objects.get().created == len(rows) - 1

    page.goto("/calls/import/")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download a sample CSV").click()
    cdrs = tmp_path / ("cdrs-" + download.value.suggested_filename)
    download.value.save_as(cdrs)
    assert cdrs.read_text(encoding="utf-8-sig").splitlines()[0] == "Call ID,Start,DID,Answered Seconds"


# --- l: margins per month ---------------------------------------------------------------------

def test_l_margins_add_28_30_and_31_day_periods_per_month_and_say_so(page, default_provider):
    make_admin()
    reseller = _reseller(funds="200")
    for days in (28, 30, 31):  # each costs as many USD as its period has days: 30.44 USD a month each
        did = DIDFactory(number=f"+185558018{days}", buy_cost="0", setup_fee="0", monthly_fee=str(days),
                         billing_days=days)
        purchase_did(buyer_id=reseller.account_id, did_id=did.pk, purchase_key=f"k{days}")
    browser_login(page, "admin", PASSWORD)
    page.goto("/margins/")
    row = page.locator("tr", has_text=reseller.account.number)
    assert "91.32" in row.inner_text(), row.inner_text()  # pays 3 x 30.44 a month, not 28 + 30 + 31 = 89
    assert _decimal(page.get_by_test_id("operator-earns").inner_text()) == D("91.32")
    assert "30.44" in page.get_by_text("Amounts are per month", exact=False).inner_text()


# --- m: a large import on the worker, with a progress page -----------------------------------

IMPORT_FILE = (
    "DID,Country,City,MonthlyFee (USD),Setup Fee (USD),Billing Days\n"
    "+18555801802,US,Austin,20,1,30\n"
    "+18555801803,US,Austin,20,1,30\n"
)


def test_m_a_queued_import_shows_its_progress_across_a_reload_and_ends_on_its_page(page, default_provider,
                                                                                   settings, tmp_path):
    settings.DID_IMPORT_DIR = str(tmp_path / "imports")
    settings.DID_IMPORT_QUEUE_MB = 0  # this small file counts as large: it goes to the worker
    make_admin()
    path = tmp_path / "carrier.csv"
    path.write_text(IMPORT_FILE, encoding="utf-8")
    browser_login(page, "admin", PASSWORD)
    page.goto("/dids/import/")
    page.get_by_label("CSV file").set_input_files(str(path))
    page.get_by_role("button", name="Preview").click()
    page.get_by_role("button", name="Import 2 DIDs").click()

    assert _heading(page) == "Importing carrier.csv"  # something on screen at once
    assert "all or nothing" in page.content()
    assert not DID.objects.exists()
    progress_url = page.url
    page.reload()
    assert page.url == progress_url and _heading(page) == "Importing carrier.csv"

    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)  # the worker takes it
    page.wait_for_url("**/dids/imports/*/", timeout=15_000)  # the page's own refresh, no click
    assert "2 DIDs created" in page.content()
    assert sorted(DID.objects.values_list("number", flat=True)) == ["+18555801802", "+18555801803"]
