"""Transactions of the test harness itself."""

from django.db import transaction


def harness_atomic():
    """A transaction a test (or a module's fixture) opens around many service calls and rolls
    back at the end. Marked the way Django marks its test cases' own, so that core/locking.py
    checks each service call inside it as the transaction it is in production, not all of
    them as one."""
    block = transaction.atomic()
    block._from_testcase = True
    return block
