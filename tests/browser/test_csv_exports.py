"""Issue 17: a reseller clicks Export CSV on DIDs and on Buy DIDs and gets a file of the list,
its numbers in E.164."""

import csv
from decimal import Decimal
from pathlib import Path

import pytest

from accounts.models import Account
from billing.ledger.funds import add_funds
from billing.subscriptions.purchase import purchase_did
from tests.conftest import browser_login
from tests.factories import PASSWORD, DIDFactory, make_account_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _download(page, label: str = "Export CSV") -> list[list[str]]:
    with page.expect_download() as info:
        page.get_by_role("link", name=label).click()
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    with Path(download.path()).open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def test_export_csv_on_dids_and_buy_dids(page, default_provider):
    user = make_account_user(kind=Account.Kind.RESELLER)
    add_funds(account_id=user.account_id, amount=Decimal("100"))
    held = DIDFactory(number="+18555801802", monthly_fee="12")
    purchase_did(buyer_id=user.account_id, did_id=held.pk, purchase_key="browser-csv")
    DIDFactory(number="+442071838750", country="GB", monthly_fee="3.5")
    DIDFactory(number="+18555801803", monthly_fee="9")
    browser_login(page, user.username, PASSWORD)

    page.goto("/portal/dids/")
    rows = _download(page)
    assert rows[0][:2] == ["DID", "Country"]
    assert [r[0] for r in rows[1:]] == ["+18555801802"] and rows[1][5] == "12.0000"

    page.goto("/portal/dids/buy/?sort=price")
    rows = _download(page)
    assert [(r[0], r[5]) for r in rows[1:]] == [("+442071838750", "3.5000"), ("+18555801803", "9.0000")]
