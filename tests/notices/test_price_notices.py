"""A seller's price change for the numbers its buyers hold (Edit Info, SELL COST, product save,
bulk Change prices) tells each account whose next renewal it moves: old -> new and when; nobody
else (accounts not holding the DID, holders with an override of their own, One Time holdings)."""

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import Account
from billing.prices.book import clear_override, save_product, set_sell_cost
from billing.prices.bulk import bulk_set_prices
from core.money import money
from dids.models import DID
from notices.models import Notice
from tests.factories import DIDFactory, make_admin
from tests.notices.conftest import D, buy, days, funded, notices_of

PRICE = Notice.Kind.PRICE_CHANGED


def renews_on(sub) -> str:
    return f"{timezone.localtime(sub.period_end):%Y-%m-%d}"


@pytest.fixture
def chain(db):
    """The operator -> reseller R (sells at 6 + 30) -> customer C; C2 under R holds nothing."""
    did = DIDFactory(setup_fee=money(D("5")), monthly_fee=money(D("20")), billing_days=28)
    r = funded("500")
    c = funded("500", Account.Kind.CUSTOMER, parent=r)
    c2 = funded("500", Account.Kind.CUSTOMER, parent=r)
    r_sub = buy(r, did, sell_setup_fee=D("6"), sell_price=D("30"))
    c_sub = buy(c, did)
    return did, r, c, c2, r_sub, c_sub


def test_a_resellers_new_sell_cost_tells_its_buyer_holding_the_did(chain, on_commit):
    did, r, c, c2, r_sub, c_sub = chain
    on_commit(set_sell_cost, did_id=did.pk, seller_id=r.pk, buyer_id=None, setup_fee=D("6"), price=D("35"), by=None)
    [notice] = Notice.objects.all()
    assert notice.account_id == c.pk and notice.kind == PRICE
    assert notice.subject == f"DID {did.shown}: new price from {r.name}"
    assert notice.body == (f"{r.name} changed your price for DID {did.shown} from 30.0000 to 35.0000 USD per "
                           f"28 days. It applies from your next renewal, on {renews_on(c_sub)}.")
    assert notice.link == f"/portal/dids/{did.pk}/edit-info/"
    assert [m.to for m in mail.outbox] == [[c.email]]


def test_no_notice_to_accounts_not_holding_it_nor_for_a_setup_fee_alone(chain, on_commit):
    did, r, c, c2, r_sub, c_sub = chain
    on_commit(set_sell_cost, did_id=did.pk, seller_id=r.pk, buyer_id=None, setup_fee=D("9"), price=D("30"), by=None)
    assert not Notice.objects.exists()  # the setup fee is never charged again to a holder
    on_commit(set_sell_cost, did_id=did.pk, seller_id=r.pk, buyer_id=c2.pk, setup_fee=D("6"), price=D("25"), by=None)
    assert not Notice.objects.exists()  # C2's own price, but C2 does not hold the DID
    assert mail.outbox == []


def test_an_override_tells_its_buyer_and_shields_it_from_the_default(chain, on_commit):
    did, r, c, c2, r_sub, c_sub = chain
    on_commit(set_sell_cost, did_id=did.pk, seller_id=r.pk, buyer_id=c.pk, setup_fee=D("6"), price=D("33"), by=None)
    assert "from 30.0000 to 33.0000" in notices_of(c, PRICE)[0].body
    on_commit(set_sell_cost, did_id=did.pk, seller_id=r.pk, buyer_id=None, setup_fee=D("6"), price=D("40"), by=None)
    assert len(notices_of(c, PRICE)) == 1  # C pays its override, not the default
    on_commit(clear_override, did_id=did.pk, seller_id=r.pk, buyer_id=c.pk, by=None)
    assert "from 33.0000 to 40.0000" in notices_of(c, PRICE)[0].body  # back to the default: told
    assert len(mail.outbox) == 2


def test_the_operators_product_price_tells_the_top_holder_only(chain, on_commit):
    did, r, c, c2, r_sub, c_sub = chain
    admin = make_admin()
    did = DID.objects.get(pk=did.pk)
    did.monthly_fee = money(D("22"))
    on_commit(save_product, did=did, by=admin)
    [notice] = Notice.objects.all()
    assert notice.account_id == r.pk
    assert notice.body == (f"The operator changed your price for DID {did.shown} from 20.0000 to 22.0000 USD per "
                           f"28 days. It applies from your next renewal, on {renews_on(r_sub)}.")
    on_commit(set_sell_cost, did_id=did.pk, seller_id=None, buyer_id=None, setup_fee=D("5"), price=D("24"), by=admin)
    assert "from 22.0000 to 24.0000" in notices_of(r, PRICE)[0].body  # Edit Info of the operator's price
    assert notices_of(c) == [] and len(mail.outbox) == 2


def test_a_bulk_price_change_tells_each_holder_whose_renewal_it_moves(db, on_commit):
    admin = make_admin()
    held, unheld, overridden, one_time, held_elsewhere = dids = [
        DIDFactory(monthly_fee=money(D("20"))), DIDFactory(), DIDFactory(), DIDFactory(billing_type="one_time"),
        DIDFactory(monthly_fee=money(D("24")))]
    r, r2, r3 = funded("500"), funded("500"), funded("500", email=False)
    held_sub = buy(r, held)
    buy(r2, overridden)
    set_sell_cost(did_id=overridden.pk, seller_id=None, buyer_id=r2.pk, setup_fee=D("5"), price=D("18"), by=admin)
    buy(r2, one_time)
    buy(r3, held_elsewhere, now=days(3))  # already at 24: not changed, not told
    c = funded("500", Account.Kind.CUSTOMER, parent=r)
    buy(c, held)  # pays R, not the operator
    Notice.objects.all().delete()  # R2 was told of its override

    result = on_commit(bulk_set_prices, dids=DID.objects.filter(pk__in=[d.pk for d in dids]),
                       changes={"monthly_fee": D("24")}, by=admin)
    assert result.changed == 4
    [notice] = Notice.objects.all()
    assert notice.account_id == r.pk and notice.kind == PRICE
    assert notice.subject == f"DID {held.number}: new price from the operator"  # E.164: written in SQL
    assert notice.body == (f"The operator changed your price for DID {held.number} from 20.0000 to 24.0000 USD per "
                           f"28 days. It applies from your next renewal, on {renews_on(held_sub)}.")
    assert notice.link == f"/portal/dids/{held.pk}/edit-info/" and notice.emailed_to == r.email
    assert [m.to for m in mail.outbox] == [[r.email]]
    assert mail.outbox[0].subject == f"DID {held.shown}: new price from the operator"  # e-mails and pages show it formatted
    assert f"price for DID {held.shown} from 20.0000" in mail.outbox[0].body


def test_a_bulk_price_change_writes_one_notice_per_holder_in_one_statement(db, django_assert_max_num_queries):
    dids = [DIDFactory() for _ in range(3)]
    for did in dids:
        buy(funded("500"), did)
    with django_assert_max_num_queries(20) as few:
        bulk_set_prices(dids=DID.objects.filter(pk__in=[d.pk for d in dids[:1]]), changes={"monthly_fee": D("21")})
    with django_assert_max_num_queries(20) as many:
        bulk_set_prices(dids=DID.objects.filter(pk__in=[d.pk for d in dids]), changes={"monthly_fee": D("22")})
    assert Notice.objects.count() == 4
    assert len(few.captured_queries) == len(many.captured_queries)
    inserts = [q["sql"] for q in many.captured_queries if q["sql"].startswith('INSERT INTO "notices_notice"')]
    assert len(inserts) == 1
