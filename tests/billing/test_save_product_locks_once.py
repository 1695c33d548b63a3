"""Create/Edit Product (billing.prices.book.save_product) locks and reads the DID's row once:
it hands the locked row to the catalogue's did_save instead of both locking it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.prices.book import save_product
from core.money import money
from dids.models import DID
from tests.factories import DIDFactory, make_admin

pytestmark = pytest.mark.django_db


def test_an_edit_locks_the_did_once_and_still_records_the_change():
    admin = make_admin()
    did = DIDFactory(monthly_fee=money("5.0000"))
    edited = DID.objects.get(pk=did.pk)
    edited.monthly_fee = money("6.0000")
    with CaptureQueriesContext(connection) as queries:
        save_product(did=edited, by=admin)
    locks = [q["sql"] for q in queries.captured_queries if "FOR UPDATE" in q["sql"] and '"dids_did"' in q["sql"]]
    assert len(locks) == 1, locks
    assert DID.objects.get(pk=did.pk).monthly_fee == money("6.0000")
    assert did.history.filter(action="price_changed").count() == 1


def test_a_new_product_takes_no_lock():
    admin = make_admin()
    new = DIDFactory.build(number="+18555550199")
    new.provider.save()
    with CaptureQueriesContext(connection) as queries:
        save_product(did=new, by=admin)
    assert DID.objects.filter(number="+18555550199").exists()
    assert not [q for q in queries.captured_queries if "FOR UPDATE" in q["sql"]]
