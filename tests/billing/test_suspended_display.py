"""A DID whose renewal is unpaid is shown as suspended to its holder and the admin."""

from datetime import timedelta
from decimal import Decimal

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from billing.ledger.funds import add_funds
from billing.subscriptions.purchase import purchase_did
from billing.subscriptions.renewals import run_billing
from tests.factories import DIDFactory, make_account_user


def test_holder_and_admin_see_the_suspension(admin_client, db):
    start = timezone.now() - timedelta(days=31)
    user = make_account_user(name="Short Reseller")
    add_funds(account_id=user.account_id, amount=Decimal("10"))
    did = DIDFactory(setup_fee="0", monthly_fee="10", billing_days=30)
    purchase_did(buyer_id=user.account_id, did_id=did.pk, purchase_key="k", now=start)
    healthy = DIDFactory()
    run_billing()

    holder = Client()
    holder.force_login(user)
    html = holder.get(reverse("resellers:dids")).content.decode()
    grace = timezone.localtime(start + timedelta(days=33)).strftime("%Y-%m-%d %H:%M")
    assert f"Suspended until {grace}" in html

    rows = {d.pk: d for d in admin_client.get(reverse("dids:list")).context["page"].rows}
    assert rows[did.pk].suspended and not rows[healthy.pk].suspended
    assert "Suspended" in admin_client.get(reverse("dids:list")).content.decode()
    assert f"Suspended until {grace}" in admin_client.get(reverse("billing:edit_info", args=[did.pk])).content.decode()
