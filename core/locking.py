"""Every row lock of the portal, and the one order they are taken in.

A transaction that changes money or a DID's holders locks, in this order, each kind in
ascending id order:

    0. an import's own record (one import at a time)      lock_import
    1. DIDs                                               lock_did, lock_dids, lock_dids_sql, claim_dids
    2. holdings: the subscriptions on those DIDs          lock_holding, lock_holdings
    3. accounts                                           lock_accounts

Two transactions that take locks in the same order cannot deadlock on each other; a
transaction that asks for an earlier kind after a later one raises LockOrderError at once
(a programming error, found by the tests, never a deadlock found in production).

Every lock says whether it may change a key: FOR UPDATE only where a row is deleted or a
unique column (a DID's number) changes; otherwise FOR NO KEY UPDATE, which lets other
transactions insert rows that point at the locked one (a ledger entry naming a DID) meanwhile.

The functions take querysets, so this module knows no app (core imports none); a test
(tests/architecture/test_locking.py) fails on a row lock written anywhere else.

Hot paths (a DID purchase) take the same locks through ``prepared_did_lock``,
``prepared_holding_lock`` and ``prepared_account_lock``: the same statement as lock_did,
lock_holding and lock_accounts on ``build(*ids)``, compiled once per process (core/prepared.py)
instead of at every call, and the same order rules.
"""

from django.db import connection
from django.db.transaction import TransactionManagementError

from core.prepared import Prepared

IMPORT, DID, HOLDING, ACCOUNT = 0, 1, 2, 3
_NAMES = {IMPORT: "an import", DID: "DIDs", HOLDING: "holdings", ACCOUNT: "accounts"}


class LockOrderError(RuntimeError):
    """A lock was asked for out of the order above."""


def _step(kind: int) -> None:
    """Record that this transaction locks ``kind`` now; refuse an earlier kind after a later one."""
    # The transaction is the outermost atomic block, not counting those a test case wraps
    # around every test (Django marks them), so that each service call starts over in tests too.
    blocks = [block for block in connection.atomic_blocks if not getattr(block, "_from_testcase", False)]
    if not blocks:  # select_for_update outside a transaction fails on its own, with Django's message
        return
    # The furthest kind locked so far is kept on the transaction's block, beside the list of its
    # on-commit hooks (Django starts a new list with every transaction: a block reused as a
    # decorator starts over).
    transaction_block, hooks = blocks[0], connection.run_on_commit
    state = getattr(transaction_block, "_locked_up_to", None)
    taken = state[1] if state is not None and state[0] is hooks else kind
    if kind < taken:
        raise LockOrderError(f"{_NAMES[kind]} locked after {_NAMES[taken]}: the order is "
                             f"{', '.join(_NAMES[k] for k in sorted(_NAMES))} (core/locking.py)")
    transaction_block._locked_up_to = (hooks, max(kind, taken))


def lock_import(queryset):
    """The import's own row (its undo changes no key)."""
    _step(IMPORT)
    return queryset.select_for_update(no_key=True).get()


def lock_did(queryset, *, key_change: bool = False):
    """The first DID of ``queryset`` (or None). ``key_change``: the DID is deleted or its number
    changes (FOR UPDATE); otherwise its holder, prices or status do (FOR NO KEY UPDATE)."""
    _step(DID)
    return queryset.select_for_update(no_key=not key_change, of=("self",)).order_by("pk").first()


def lock_dids(queryset, *, key_change: bool = False) -> dict:
    """All DIDs of ``queryset``, locked in ascending id order and read by the same statement:
    {id: did}."""
    _step(DID)
    return {d.pk: d for d in queryset.select_for_update(no_key=not key_change, of=("self",)).order_by("pk")}


def lock_dids_sql(queryset, *, key_change: bool = False) -> tuple[str, list]:
    """(SQL, params) of a SELECT of the ids of ``queryset``'s DIDs that locks them in id order,
    for set-based work that never loads them (a bulk action pins them in a temporary table;
    an undo counts them). Run it in the transaction that changes them."""
    _step(DID)
    ids = (queryset.model.objects.filter(pk__in=queryset.order_by().values("pk")).order_by("pk")
           .select_for_update(no_key=not key_change, of=("self",)).values_list("pk"))
    sql, params = ids.query.sql_with_params()
    return sql, list(params)


def claim_dids(queryset, *, of: str, limit: int) -> list:
    """Up to ``limit`` rows of ``queryset`` whose DID (the relation ``of``) no other transaction
    holds, skipping the locked ones (FOR NO KEY UPDATE SKIP LOCKED): work several billing runs
    share without waiting for each other."""
    _step(DID)
    return list(queryset.select_for_update(no_key=True, skip_locked=True, of=(of,))[:limit])


def lock_holding(queryset):
    """The first holding (subscription) of ``queryset``, or None. Holdings change status and
    periods, never a key."""
    _step(HOLDING)
    return queryset.select_for_update(no_key=True, of=("self",)).order_by("pk").first()


def lock_holdings(queryset, *, order_by: tuple = ("pk",)) -> list:
    """All holdings of ``queryset``, in ``order_by`` order (ids ascending unless a caller
    groups them by DID first: ("did_id", "pk") is ascending ids within each DID)."""
    _step(HOLDING)
    return list(queryset.select_for_update(no_key=True, of=("self",)).order_by(*order_by))


def lock_accounts(queryset) -> dict:
    """Accounts of ``queryset`` in ascending id order: {id: account}. Balances and statuses
    change, never a key."""
    _step(ACCOUNT)
    return {a.pk: a for a in queryset.select_for_update(no_key=True).order_by("pk")}


def one_at_a_time(key: int) -> None:
    """A transaction-long advisory lock on PostgreSQL: imports of one kind run one after another
    (SQLite's single writer does the same by itself)."""
    _step(IMPORT)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


# --- the same locks, compiled once (core/prepared.py) ------------------------------------------


def _prepared_step(kind: int) -> None:
    """_step, and Django's refusal of a lock outside a transaction (which a compiled statement skips)."""
    if connection.features.has_select_for_update and connection.get_autocommit():
        raise TransactionManagementError("select_for_update cannot be used outside of a transaction.")
    _step(kind)


def prepared_did_lock(build, arity: int = 1, *, key_change: bool = False):
    """``lock(*ids)`` is ``lock_did(build(*ids), key_change=key_change)``: ``build`` returns the
    DID queryset for ``arity`` ids, always of the same shape."""
    statement = Prepared(lambda *ids: build(*ids).select_for_update(no_key=not key_change, of=("self",))
                         .order_by("pk")[:1], arity)

    def lock(*ids):
        _prepared_step(DID)
        return statement.first(*ids)

    return lock


def prepared_holding_lock(build, arity: int = 1):
    """``lock(*ids)`` is ``lock_holding(build(*ids))``."""
    statement = Prepared(lambda *ids: build(*ids).select_for_update(no_key=True, of=("self",)).order_by("pk")[:1],
                         arity)

    def lock(*ids):
        _prepared_step(HOLDING)
        return statement.first(*ids)

    return lock


def prepared_account_lock(build, arity: int = 1):
    """``lock(*ids)`` is ``lock_accounts(build(*ids))``: {id: account}."""
    statement = Prepared(lambda *ids: build(*ids).select_for_update(no_key=True).order_by("pk"), arity)

    def lock(*ids):
        _prepared_step(ACCOUNT)
        return {a.pk: a for a in statement.all(*ids)}

    return lock
