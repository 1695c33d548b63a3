"""The statement budget of one purchase (issue 15, bench/purchase.py): which statements a
purchase runs, in which order, and that it compiles no queryset once its process has made one
purchase (core/prepared.py). A purchase that grows a statement, or goes back to building its
queries at every call, fails here, not months later in the benchmark."""

import re
import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models.sql.query import Query
from django.test.utils import CaptureQueriesContext

from accounts.models import Account
from billing.ledger.funds import add_funds
from billing.prices.book import set_sell_cost
from billing.subscriptions.purchase import purchase_did
from tests.factories import DIDFactory, make_account_user

D = Decimal


def shape(sql: str) -> str:
    """A statement as "VERB table", a row lock as "LOCK table" (on SQLite, which has no row locks,
    every SELECT); savepoints as their verb."""
    verb = sql.split()[0].upper()
    if verb in {"SAVEPOINT", "RELEASE", "BEGIN", "COMMIT"}:
        return verb
    if verb == "SELECT":
        table = re.search(r'"(\w+)"\."', sql).group(1)  # the table of the first column
        locked = re.search(r"\bFOR (NO KEY )?UPDATE\b", sql)
        return f"{'LOCK' if locked or connection.vendor != 'postgresql' else 'SELECT'} {table}"
    table = re.match(r'(?:INSERT INTO|UPDATE) "(\w+)"', sql).group(1)
    return f"{verb} {table}"


def statements_of(call) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        call()
    return [shape(q["sql"]) for q in captured.captured_queries]


def funded(amount="100", **kwargs) -> Account:
    account = make_account_user(**kwargs).account
    add_funds(account_id=account.pk, amount=D(amount))
    return account


def buy(buyer, did, **kwargs):
    return lambda: purchase_did(buyer_id=buyer.pk, did_id=did.pk, purchase_key=uuid.uuid4().hex, **kwargs)


# The test's transaction makes the purchase's own transaction a savepoint.
FROM_THE_OPERATOR = [
    "SAVEPOINT",
    "LOCK dids_did",  # with the buyer's parent (it never changes): which holding to lock next
    "LOCK accounts_account",  # with the seller's override for the buyer, read after the DID's lock
    "INSERT billing_subscription",
    "INSERT billing_ledgerentry",  # setup fee and first period in one INSERT, their seq read by it
    "UPDATE accounts_account",
    "UPDATE dids_did",  # the holder
    "INSERT billing_didhistory",
    "INSERT audit_auditentry",
    "RELEASE",
]
FROM_A_RESELLER = [
    "SAVEPOINT",
    "LOCK dids_did",
    "LOCK billing_subscription",  # the reseller's holding, with whether a link of the DID's chain is in grace
    "LOCK accounts_account",  # buyer and reseller (its status), with the reseller's override for the buyer
    "INSERT billing_subscription",
    "INSERT billing_ledgerentry",  # the buyer's two entries and the reseller's sale
    "UPDATE accounts_account",  # both balances
    "INSERT billing_didhistory",
    "INSERT audit_auditentry",
    "RELEASE",
]


def test_a_purchase_from_the_operator_runs_eight_statements(db):
    buyer = funded()
    purchase_did(buyer_id=buyer.pk, did_id=DIDFactory().pk, purchase_key="first")  # this process's first
    assert statements_of(buy(buyer, DIDFactory())) == FROM_THE_OPERATOR
    # An override of the operator's price for this buyer is read in the same statements.
    did = DIDFactory(setup_fee=D("5"), monthly_fee=D("20"))
    set_sell_cost(did_id=did.pk, seller_id=None, buyer_id=buyer.pk, setup_fee=D("1"), price=D("2"), by=None)
    result = None

    def bought():
        nonlocal result
        result = buy(buyer, did)()

    assert statements_of(bought) == FROM_THE_OPERATOR
    assert result.charged == D("3.0000")


def test_a_purchase_from_a_reseller_runs_eight_statements(db):
    reseller = funded()
    customer = funded(kind=Account.Kind.CUSTOMER, parent=reseller)
    dids = [DIDFactory(setup_fee=D("5"), monthly_fee=D("20")) for _ in range(2)]
    for did in dids:
        purchase_did(buyer_id=reseller.pk, did_id=did.pk, purchase_key=uuid.uuid4().hex, sell_setup_fee=D("2"),
                     sell_price=D("30"))
    buy(customer, dids[0])()
    set_sell_cost(did_id=dids[1].pk, seller_id=reseller.pk, buyer_id=customer.pk, setup_fee=D("6"), price=D("25"),
                  by=None)
    result = None

    def bought():
        nonlocal result
        result = buy(customer, dids[1])()

    assert statements_of(bought) == FROM_A_RESELLER
    assert result.charged == D("31.0000")  # the reseller's override for this customer


@pytest.mark.parametrize("from_a_reseller", [False, True])
def test_a_purchase_compiles_no_queryset_once_its_statements_are_prepared(db, monkeypatch, from_a_reseller):
    seller = funded()
    buyer = funded(kind=Account.Kind.CUSTOMER, parent=seller) if from_a_reseller else seller
    dids = [DIDFactory() for _ in range(2)]
    if from_a_reseller:
        for did in dids:
            buy(seller, did)()
    buy(buyer, dids[0])()  # compiles what this path needs, once per process
    compiled = []
    real = Query.get_compiler

    def counting(query, *args, **kwargs):
        compiled.append(query.model)
        return real(query, *args, **kwargs)

    monkeypatch.setattr(Query, "get_compiler", counting)
    result = buy(buyer, dids[1])()
    assert not result.repeated
    assert compiled == []


def test_a_refused_purchase_looks_for_an_earlier_result_of_the_same_request(db):
    """The purchase key is looked up only when the purchase is refused (a double submit finds the
    DID held by its own first submit): a purchase that goes through never reads it."""
    buyer = funded()
    did = DIDFactory()
    first = purchase_did(buyer_id=buyer.pk, did_id=did.pk, purchase_key="page-view")
    again = None

    def repeat():
        nonlocal again
        again = purchase_did(buyer_id=buyer.pk, did_id=did.pk, purchase_key="page-view")

    statements = statements_of(repeat)
    assert again.repeated and again.subscription.pk == first.subscription.pk and again.charged == first.charged
    assert statements[:3] == ["SAVEPOINT", "LOCK dids_did", "LOCK accounts_account"]
    assert not any(s.startswith(("INSERT", "UPDATE")) for s in statements)
