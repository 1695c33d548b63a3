"""Which DIDs an account may buy: its parent's pool.

For an account under the operator: every Active DID nobody holds. For an account under a
reseller: the Active DIDs that reseller holds and has not sold on, while it may sell them
(billing/subscriptions/sellable.py: the reseller active, no link of the DID's chain in grace).
"""

from django.db import connection
from django.db.models import Exists, OuterRef

from billing.subscriptions.holdings import unsold_holdings
from billing.subscriptions.sellable import for_sale
from dids.models import DID


def pool_for(account):
    """DIDs ``account`` may buy, as a DID queryset."""
    dids = DID.objects.filter(status=DID.Status.ACTIVE)
    if account.parent_id is None:
        return dids.filter(holder__isnull=True)
    return dids.filter(Exists(for_sale(unsold_holdings(account.parent_id)).filter(did=OuterRef("pk"))))


# The operator's pool's distinct countries by a skip scan of its partial (country, number) index: one
# index probe per country (under a millisecond at a million DIDs) where SELECT DISTINCT reads every
# entry (150 ms). The WHERE is pool_for's operator pool, twice; tests/billing/test_pool_countries.py
# checks both give the same countries.
_OPERATOR_POOL_COUNTRIES = """
WITH RECURSIVE c(country) AS (
    (SELECT country FROM {did} WHERE holder_id IS NULL AND status = %s ORDER BY country LIMIT 1)
    UNION ALL
    SELECT (SELECT d.country FROM {did} d WHERE d.holder_id IS NULL AND d.status = %s AND d.country > c.country
            ORDER BY d.country LIMIT 1)
    FROM c WHERE c.country IS NOT NULL
)
SELECT country FROM c WHERE country IS NOT NULL
"""


def pool_countries(account) -> set[str]:
    """The country codes of the DIDs ``account`` may buy (blank left out)."""
    # SQLite (the demo database) cannot read the skip scan's "(SELECT ... LIMIT 1) UNION ALL".
    if account.parent_id is None and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_OPERATOR_POOL_COUNTRIES.format(did=DID._meta.db_table), [DID.Status.ACTIVE] * 2)
            codes = {row[0] for row in cursor.fetchall()}
    else:  # a reseller's pool (its holdings, a few rows), or SQLite
        codes = set(pool_for(account).order_by().values_list("country", flat=True).distinct())
    return codes - {""}
