"""Add funds and Adjustment on the admin's account page: exactly one ledger entry
per form, never two, and nothing at all on bad input."""

import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from accounts.models import Account
from billing.ledger.funds import FundsError, add_funds, adjust, post_once
from billing.ledger.posting import ledger_sum
from billing.models import LedgerEntry


def balance(account_id) -> Decimal:
    return Account.objects.get(pk=account_id).balance.amount


def entries(account_id) -> int:
    return LedgerEntry.objects.filter(account_id=account_id).count()


def page(client, account_id):
    return client.get(reverse("billing:account", args=[account_id]))


def funds_data(client, account_id, **fields) -> dict:
    key = page(client, account_id).context["funds_form"]["idempotency_key"].value()
    return {"funds-idempotency_key": str(key), **{f"funds-{k}": v for k, v in fields.items()}}


def adjust_data(client, account_id, **fields) -> dict:
    key = page(client, account_id).context["adjust_form"]["idempotency_key"].value()
    return {"adjust-idempotency_key": str(key), **{f"adjust-{k}": v for k, v in fields.items()}}


def test_account_page_shows_details_forms_and_csrf(admin_client, customer_user):
    html = page(admin_client, customer_user.account_id).content.decode()
    account = customer_user.account
    for text in (account.number, account.name, "Customer", "Reseller A", customer_user.username, "0.0000",
                 "Add Funds", "Adjustment", "Reason", "Suspend", "csrfmiddlewaretoken", "No Records"):
        assert text in html, text
    assert html.count('name="csrfmiddlewaretoken"') >= 4  # logout, suspend, add funds, adjustment


def test_refill_moves_the_balance_by_exactly_one_entry(admin_client, reseller_user, admin_user):
    account_id = reseller_user.account_id
    data = funds_data(admin_client, account_id, amount="10.5", description="Wire 4711")
    response = admin_client.post(reverse("billing:add_funds", args=[account_id]), data, follow=True)
    assert "Refill of 10.5000 USD recorded. Balance: 10.5000 USD." in response.content.decode()
    assert balance(account_id) == Decimal("10.5000") and entries(account_id) == 1
    entry = LedgerEntry.objects.get(account_id=account_id)
    assert entry.kind == LedgerEntry.Kind.FUNDS_ADDED and entry.description == "Wire 4711"
    assert entry.created_by == admin_user and entry.idempotency_key.startswith("refill:")


def test_refill_without_description_says_funds_added(admin_client, reseller_user):
    admin_client.post(reverse("billing:add_funds", args=[reseller_user.account_id]),
                      funds_data(admin_client, reseller_user.account_id, amount="1", description=""))
    assert LedgerEntry.objects.get(account_id=reseller_user.account_id).description == "Funds added"


def test_double_submit_of_the_same_refill_posts_once(admin_client, reseller_user):
    account_id = reseller_user.account_id
    data = funds_data(admin_client, account_id, amount="25", description="")
    url = reverse("billing:add_funds", args=[account_id])
    first = admin_client.post(url, data, follow=True)
    second = admin_client.post(url, data, follow=True)
    assert "recorded" in first.content.decode()
    assert "This refill was already recorded (25.0000 USD on" in second.content.decode()
    assert balance(account_id) == 25 and entries(account_id) == 1
    # A fresh form is a new refill.
    admin_client.post(url, funds_data(admin_client, account_id, amount="25", description=""))
    assert balance(account_id) == 50 and entries(account_id) == 2


def test_double_submit_of_the_same_adjustment_posts_once(admin_client, reseller_user):
    account_id = reseller_user.account_id
    data = adjust_data(admin_client, account_id, amount="-3", reason="Duplicate charge")
    url = reverse("billing:adjust", args=[account_id])
    admin_client.post(url, data)
    response = admin_client.post(url, data, follow=True)
    assert "This adjustment was already recorded" in response.content.decode()
    assert balance(account_id) == -3 and entries(account_id) == 1


@pytest.mark.parametrize("amount", ["-5", "0", "0.0000", "abc", "1e3", "1.00001", "1000000", ""])
def test_bad_refill_amount_is_refused_next_to_the_field(admin_client, reseller_user, amount):
    account_id = reseller_user.account_id
    data = funds_data(admin_client, account_id, amount=amount, description="Typed text")
    response = admin_client.post(reverse("billing:add_funds", args=[account_id]), data)
    assert response.status_code == 200
    assert list(response.context["funds_form"].errors) == ["amount"]
    html = response.content.decode()
    assert 'id="error_1_id_funds-amount"' in html and 'value="Typed text"' in html
    assert entries(account_id) == 0 and balance(account_id) == 0


def test_adjustment_credits_or_debits_by_exactly_one_entry(admin_client, reseller_user, admin_user):
    account_id = reseller_user.account_id
    add_funds(account_id=account_id, amount=Decimal("20"), by=admin_user)
    url = reverse("billing:adjust", args=[account_id])
    response = admin_client.post(url, adjust_data(admin_client, account_id, amount="-7.25", reason="Refund reversed"),
                                 follow=True)
    assert "Adjustment of -7.2500 USD recorded. Balance: 12.7500 USD." in response.content.decode()
    admin_client.post(url, adjust_data(admin_client, account_id, amount="0.25", reason="Goodwill"))
    assert balance(account_id) == Decimal("13.0000") == ledger_sum(account_id)
    last = LedgerEntry.objects.filter(account_id=account_id).order_by("-seq")
    assert [(e.kind, e.amount.amount, e.description) for e in last[:2]] == [
        (LedgerEntry.Kind.ADJUSTMENT, Decimal("0.2500"), "Goodwill"),
        (LedgerEntry.Kind.ADJUSTMENT, Decimal("-7.2500"), "Refund reversed"),
    ]


@pytest.mark.parametrize("fields,field", [
    ({"amount": "0", "reason": "x"}, "amount"),
    ({"amount": "-0.0000", "reason": "x"}, "amount"),
    ({"amount": "--5", "reason": "x"}, "amount"),
    ({"amount": "-1000000", "reason": "x"}, "amount"),
    ({"amount": "5", "reason": ""}, "reason"),
    ({"amount": "5", "reason": "   "}, "reason"),
])
def test_bad_adjustment_is_refused_next_to_the_field(admin_client, reseller_user, fields, field):
    account_id = reseller_user.account_id
    response = admin_client.post(reverse("billing:adjust", args=[account_id]),
                                 adjust_data(admin_client, account_id, **fields))
    assert response.status_code == 200
    assert list(response.context["adjust_form"].errors) == [field]
    assert f'id="error_1_id_adjust-{field}"' in response.content.decode()
    assert entries(account_id) == 0


@pytest.mark.parametrize("key", [None, "", "not-a-uuid"])
def test_a_form_without_a_valid_key_posts_nothing(admin_client, reseller_user, key):
    data = {"funds-amount": "5"}
    if key is not None:
        data["funds-idempotency_key"] = key
    response = admin_client.post(reverse("billing:add_funds", args=[reseller_user.account_id]), data)
    assert response.status_code == 200
    assert "This form has expired. Reload the page and try again." in response.content.decode()
    assert entries(reseller_user.account_id) == 0


def test_unknown_account_is_404(admin_client, db):
    assert admin_client.get(reverse("billing:account", args=[424242])).status_code == 404
    assert admin_client.post(reverse("billing:add_funds", args=[424242]), {"funds-amount": "5"}).status_code == 404


# --- services -------------------------------------------------------------------

def test_adjust_service_rules(reseller_user, admin_user):
    account_id = reseller_user.account_id
    with pytest.raises(FundsError) as exc:
        adjust(account_id=account_id, amount=Decimal("0"), reason="x", by=admin_user)
    assert exc.value.field == "amount"
    with pytest.raises(FundsError) as exc:
        adjust(account_id=account_id, amount=Decimal("1"), reason=" ", by=admin_user)
    assert exc.value.field == "reason"
    with pytest.raises(FundsError):
        add_funds(account_id=account_id, amount=Decimal("0.00001"))
    assert entries(account_id) == 0
    entry = adjust(account_id=account_id, amount=Decimal("-2"), reason="Correction", by=admin_user)
    assert entry.balance_before.amount == 0 and entry.balance_after.amount == -2 and entry.seq == 1


def test_post_once_returns_the_first_entry(reseller_user, admin_user):
    account_id = reseller_user.account_id
    first, posted = post_once(add_funds, idempotency_key="k-1", account_id=account_id, amount=Decimal("3"), by=admin_user)
    again, posted_again = post_once(add_funds, idempotency_key="k-1", account_id=account_id, amount=Decimal("3"))
    assert posted and not posted_again and again.pk == first.pk
    assert balance(account_id) == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_posts_of_the_same_form_post_once(reseller_user, admin_user):
    account_id = reseller_user.account_id
    barrier = threading.Barrier(2)
    results, errors = [], []

    def submit():
        try:
            barrier.wait()
            results.append(post_once(add_funds, idempotency_key="refill:race", account_id=account_id,
                                     amount=Decimal("5"), by=admin_user))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(posted for _, posted in results) == [False, True]
    assert entries(account_id) == 1 and balance(account_id) == 5
