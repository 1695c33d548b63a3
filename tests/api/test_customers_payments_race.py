"""Record payment through the API under concurrency, on PostgreSQL: eight threads send one payment
with one Idempotency-Key at the same moment (tests/races.py): one entry, one audit row, eight
identical answers. Rows must be committed for the threads to see them (transaction=True)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import Account
from api.models import IdempotencyKey
from audit.models import AuditEntry
from billing.ledger.posting import ledger_sum
from billing.models import LedgerEntry
from tests.api.conftest import Api
from tests.races import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def pay(secret, number, amount, key):
    def call():
        response = Api(secret).post(reverse("api:customer_payments", args=[number]), {"amount": amount},
                                    HTTP_IDEMPOTENCY_KEY=key)
        return response.status_code, response.content
    return call


def test_eight_threads_with_one_key_post_one_payment(people, secrets_of):
    customer = people["customer"].account
    for round_ in range(3):
        outcomes = race([pay(secrets_of["reseller"], customer.number, "12.5", f"pay-{round_}")] * 8)

        assert all(isinstance(o, tuple) for o in outcomes), outcomes
        assert {o for o in outcomes} == {outcomes[0]} and outcomes[0][0] == 201, outcomes
        assert LedgerEntry.objects.filter(account=customer, kind="payment").count() == round_ + 1
        assert AuditEntry.objects.filter(action="balance.payment_recorded", account=customer).count() == round_ + 1
        assert IdempotencyKey.objects.filter(key=f"pay-{round_}").count() == 1
    balance = Account.objects.get(pk=customer.pk).balance.amount
    assert balance == Decimal("37.5") == ledger_sum(customer.pk)
