"""POST /api/v1/purchases/ under concurrency, on PostgreSQL: threads released together (tests/races.py),
each with its own connection and client; the rows must be committed for them to see (transaction=True)."""

from decimal import Decimal

import pytest

from accounts.models import Account
from api.models import IdempotencyKey
from audit.models import AuditEntry
from billing.ledger.funds import add_funds
from billing.ledger.posting import ledger_sum
from billing.models import LedgerEntry, Subscription
from billing.subscriptions import buy_numbers as buy_numbers_module
from billing.subscriptions.purchase import purchase_did
from core.money import money
from dids.models import DID
from tests.api.conftest import Api
from tests.factories import DIDFactory
from tests.races import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
URL = "/api/v1/purchases/"
D = Decimal
ROUNDS = 3


def post(secret, numbers, total, key):
    def call():
        response = Api(secret).post(URL, {"numbers": numbers, "expected_total": total}, HTTP_IDEMPOTENCY_KEY=key)
        return response.status_code, response.content
    return call


def test_eight_threads_with_one_key_make_one_purchase_and_eight_identical_answers(people, secrets_of):
    reseller = people["reseller"].account_id
    add_funds(account_id=reseller, amount=D("1000"))
    for round_ in range(ROUNDS):
        numbers = [DIDFactory(setup_fee=money(D("1")), monthly_fee=money(D("2.5"))).number for _ in range(3)]
        before = Account.objects.get(pk=reseller).balance.amount

        outcomes = race([post(secrets_of["reseller"], numbers, "10.5000", f"race-{round_}")] * 8)

        assert all(isinstance(o, tuple) for o in outcomes), outcomes
        assert {o for o in outcomes} == {outcomes[0]}, outcomes  # eight identical answers
        assert outcomes[0][0] == 201
        subs = Subscription.objects.filter(account_id=reseller, did__number__in=numbers)
        assert subs.count() == 3  # one purchase of the three
        assert LedgerEntry.objects.filter(account_id=reseller, subscription__in=subs).count() == 6
        assert AuditEntry.objects.filter(action="subscription.purchased", did__number__in=numbers).count() == 3
        assert IdempotencyKey.objects.filter(account_id=reseller, key=f"race-{round_}").count() == 1
        after = Account.objects.get(pk=reseller).balance.amount
        assert after == before - D("10.5") == ledger_sum(reseller)


def test_eight_buyers_of_one_number_one_gets_it_seven_get_409(people, secrets_of):
    from api.tokens import create_token
    from tests.factories import make_account_user

    buyers = [make_account_user(name=f"Racer {i}") for i in range(8)]
    secrets = []
    for user in buyers:
        add_funds(account_id=user.account_id, amount=D("100"))
        secrets.append(create_token(user=user, name="race")[1])
    for round_ in range(ROUNDS):
        number = DIDFactory().number

        outcomes = race([post(secret, [number], "25.0000", f"k-{round_}") for secret in secrets])

        statuses = sorted(o[0] for o in outcomes)
        assert statuses == [201] + [409] * 7, outcomes
        assert all(b"+1" in o[1] and b"did-sold" in o[1] for o in outcomes if o[0] == 409)
        assert Subscription.objects.filter(did__number=number).count() == 1
        assert IdempotencyKey.objects.filter(key=f"k-{round_}").count() == 1  # the refused record nothing
        for user in buyers:
            assert Account.objects.get(pk=user.account_id).balance.amount == ledger_sum(user.account_id)


def test_a_number_sold_between_the_check_and_the_locks_is_409_and_nothing_written(people, secrets_of, monkeypatch):
    """Another account's purchase commits after buy_numbers read the prices and before purchase_many
    locks the DIDs: refused under the locks, all or none, and the answer names the number."""
    free, taken = DIDFactory().number, DIDFactory()
    add_funds(account_id=people["other"].account_id, amount=D("100"))
    real = buy_numbers_module.purchase_many

    def sold_first(**kwargs):
        race([lambda: purchase_did(buyer_id=people["other"].account_id, did_id=taken.pk, purchase_key="o-taken")])
        return real(**kwargs)

    monkeypatch.setattr(buy_numbers_module, "purchase_many", sold_first)

    response = Api(secrets_of["reseller"]).post(URL, {"numbers": [free, taken.number], "expected_total": "50.0000"},
                                                 HTTP_IDEMPOTENCY_KEY="between")

    assert response.status_code == 409
    assert response.json()["detail"] == f"DID {taken.number} was just bought by someone else; nothing was bought."
    assert not Subscription.objects.filter(account_id=people["reseller"].account_id).exists()
    assert not IdempotencyKey.objects.exists()
    assert DID.objects.get(number=free).holder_id is None
