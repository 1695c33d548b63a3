"""The ledger's guard triggers look up an account's previous entry by (account, seq).
PL/pgSQL caches their plans: planned while the ledger was nearly empty (a new
system, or statistics from then), the cached plan is a sequential scan, and a
transaction that posts many entries (a CDR import posts tens of thousands) pays a
scan of the whole ledger per entry, quadratic: 50,000 calls took 314 s instead of 8.
Planning these two lookups without sequential scans makes them index lookups always."""

from django.db import migrations

FUNCTIONS = ("ledger_check_chain()", "account_check_balance()")


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for function in FUNCTIONS:
            schema_editor.execute(f"ALTER FUNCTION {function} SET enable_seqscan = off")


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for function in FUNCTIONS:
            schema_editor.execute(f"ALTER FUNCTION {function} RESET enable_seqscan")


class Migration(migrations.Migration):
    dependencies = [("billing", "0008_call_rates_and_destinations")]

    operations = [migrations.RunPython(forward, backward)]
