"""Record payment and Adjustment by a reseller on an account directly under it: one entry on
that account, once per form (double submits post once; a key from another account's form posts
nothing), never a movement of the reseller's own balance, and the ledger equal to the balance."""

from decimal import Decimal

import pytest

from audit.models import AuditEntry
from billing.ledger.funds import FundsError, record_payment
from billing.ledger.posting import ledger_sum
from billing.models import LedgerEntry
from tests.resellers.customers.conftest import fresh, url


def _form_key(client, name, account) -> str:
    return client.get(url(name, account)).context["form"]["idempotency_key"].value()


def _pay(client, to, key=None, follow=False, **fields):
    data = {"idempotency_key": key or _form_key(client, "payment", to), "amount": "50.0000",
            "reference": "Cash, receipt 17", **fields}
    return client.post(url("payment", to), data, follow=follow)


def _entries(account) -> list[LedgerEntry]:
    return list(LedgerEntry.objects.filter(account=account).order_by("seq"))


def test_a_payment_credits_only_the_customer(reseller_client, reseller_user, customer_user):
    customer, reseller = customer_user.account, reseller_user.account
    page = reseller_client.get(url("payment", customer)).content.decode()
    assert "your own balance does not change" in page and "Record Payment" in page
    response = _pay(reseller_client, customer, follow=True)
    html = response.content.decode()
    assert "Payment of 50.0000 USD recorded for Customer A. Its balance: 50.0000 USD." in html
    assert response.redirect_chain[-1][0] == url("detail", customer)
    entry, = _entries(customer)
    assert (entry.kind, entry.amount.amount, entry.description, entry.created_by) == (
        "payment", Decimal("50"), "Cash, receipt 17", reseller_user)
    assert entry.get_kind_display() == "Payment received"
    assert entry.idempotency_key.startswith(f"payment:{customer.number}:")
    assert fresh(customer).balance.amount == Decimal("50") == ledger_sum(customer.pk)
    assert fresh(reseller).balance.amount == 0 and _entries(reseller) == []
    row = AuditEntry.objects.get(action="balance.payment_recorded")
    assert (row.actor_id, row.account_id, row.changes) == (reseller_user.pk, customer.pk,
                                                          {"balance": ["0.0000", "50.0000"]})
    assert "Payment received" in reseller_client.get(url("statement", customer)).content.decode()


def test_a_double_submit_posts_once_and_says_already_recorded(reseller_client, customer_user):
    customer = customer_user.account
    key = _form_key(reseller_client, "payment", customer)
    _pay(reseller_client, customer, key=key)
    again = _pay(reseller_client, customer, key=key, follow=True)
    assert "This payment was already recorded (50.0000 USD on" in again.content.decode()
    assert len(_entries(customer)) == 1 and fresh(customer).balance.amount == Decimal("50")


def test_a_key_from_another_accounts_form_posts_nothing(reseller_client, customer_user, sub_reseller):
    customer, other = customer_user.account, sub_reseller.account
    key = _form_key(reseller_client, "payment", customer)
    _pay(reseller_client, customer, key=key)
    response = _pay(reseller_client, other, key=key)  # the customer's form, posted on the sub-reseller's page
    assert response.status_code == 200
    assert "This form was made for another account. Reload the page and try again." in response.content.decode()
    assert _entries(other) == [] and len(_entries(customer)) == 1
    unused = _form_key(reseller_client, "payment", customer)  # not posted anywhere yet: refused all the same
    assert _pay(reseller_client, other, key=unused).status_code == 200 and _entries(other) == []


@pytest.mark.parametrize("fields, field", [
    ({"amount": "0"}, "amount"),
    ({"amount": "-5"}, "amount"),
    ({"amount": "1.00001"}, "amount"),
    ({"amount": "1e3"}, "amount"),
    ({"amount": ""}, "amount"),
    ({"reference": "x" * 256}, "reference"),
])
def test_bad_payments_are_refused_next_to_the_field(reseller_client, customer_user, fields, field):
    response = _pay(reseller_client, customer_user.account, **fields)
    assert response.status_code == 200 and list(response.context["form"].errors) == [field]
    assert f'id="error_1_id_{field}"' in response.content.decode()
    assert _entries(customer_user.account) == []


@pytest.mark.parametrize("key", ["", "not-a-key", "0000000000:not-a-uuid"])
def test_a_form_without_a_valid_key_posts_nothing(reseller_client, customer_user, key):
    response = reseller_client.post(url("payment", customer_user.account), {"idempotency_key": key, "amount": "5"})
    assert response.status_code == 200 and "Reload the page and try again." in response.content.decode()
    assert _entries(customer_user.account) == []


def test_posted_account_or_balance_fields_change_nothing_else(reseller_client, reseller_user, customer_user,
                                                              other_customer):
    _pay(reseller_client, customer_user.account, account=other_customer.account_id, balance="999999",
         kind="funds_added", created_by=other_customer.pk, description="hijacked", amount="50.0000")
    entry, = _entries(customer_user.account)
    assert (entry.kind, entry.amount.amount, entry.created_by, entry.description) == (
        "payment", Decimal("50"), reseller_user, "Cash, receipt 17")
    assert _entries(other_customer.account) == [] and fresh(other_customer.account).balance.amount == 0


def test_a_payment_without_a_reference_says_payment_received(reseller_client, customer_user):
    _pay(reseller_client, customer_user.account, reference="")
    assert _entries(customer_user.account)[0].description == "Payment received"


def test_record_payment_service_refuses_a_non_positive_amount(customer_user):
    for amount in ("0", "-1", "0.00001"):
        with pytest.raises(FundsError) as refused:
            record_payment(account_id=customer_user.account_id, amount=Decimal(amount), reference="x", by=None)
        assert refused.value.field == "amount"
    assert _entries(customer_user.account) == []


def _adjust(client, to, key=None, **fields):
    data = {"idempotency_key": key or _form_key(client, "adjust", to), "amount": "-3.5000",
            "reason": "Refund of a wrong setup fee", **fields}
    return client.post(url("adjust", to), data)


def test_an_adjustment_needs_a_reason_and_moves_only_the_account(reseller_client, reseller_user, sub_reseller):
    account = sub_reseller.account
    for reason in ("", "   "):
        refused = _adjust(reseller_client, account, reason=reason)
        assert refused.status_code == 200 and list(refused.context["form"].errors) == ["reason"]
    assert _adjust(reseller_client, account, amount="0").context["form"].errors["amount"]
    assert _entries(account) == []
    key = _form_key(reseller_client, "adjust", account)
    _adjust(reseller_client, account, key=key)
    _adjust(reseller_client, account, key=key)  # double submit
    entry, = _entries(account)
    assert (entry.kind, entry.amount.amount, entry.description, entry.created_by) == (
        "adjustment", Decimal("-3.5"), "Refund of a wrong setup fee", reseller_user)
    assert entry.idempotency_key.startswith(f"adjust:{account.number}:")
    assert fresh(account).balance.amount == Decimal("-3.5") == ledger_sum(account.pk)
    assert fresh(reseller_user.account).balance.amount == 0 and _entries(reseller_user.account) == []
    row = AuditEntry.objects.get(action="balance.adjusted")
    assert (row.actor_id, row.account_id) == (reseller_user.pk, account.pk)
