"""The highlighted menu entry follows the section of the page."""

import re

import pytest
from django.urls import reverse

from billing.subscriptions.purchase import purchase_did
from tests.factories import DIDFactory


def _active(client, url) -> list[str]:
    html = client.get(url).content.decode()
    return re.findall(r'class="nav-link active"[^>]*>([^<]+)</a>', html)


@pytest.mark.parametrize("url, expected", [
    ("/dids/", "DIDs"),
    ("/dids/providers/", "Providers"),
    ("/accounts/manage/", "Accounts"),
    ("/margins/", "Margins"),
])
def test_admin_menu(admin_client, url, expected):
    assert _active(admin_client, url) == [expected]


def test_admin_edit_info_is_under_dids(admin_client, db):
    did = DIDFactory()
    assert _active(admin_client, reverse("billing:edit_info", args=[did.pk])) == ["DIDs"]


def test_account_menu(reseller_client, reseller_user):
    did = DIDFactory(setup_fee="0", monthly_fee="0")
    purchase_did(buyer_id=reseller_user.account_id, did_id=did.pk, purchase_key="k")
    assert _active(reseller_client, reverse("resellers:dids")) == ["DIDs"]
    assert _active(reseller_client, reverse("billing:my_edit_info", args=[did.pk])) == ["DIDs"]
    assert _active(reseller_client, reverse("resellers:buy")) == ["Buy DIDs"]
    assert _active(reseller_client, reverse("billing:statement")) == ["Statement"]
    assert _active(reseller_client, reverse("billing:my_margins")) == ["Margins"]
    assert _active(reseller_client, reverse("resellers:account")) == ["My Account"]
