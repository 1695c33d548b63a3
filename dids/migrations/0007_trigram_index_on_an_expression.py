"""The trigram index of "number contains" (migration 0003) moves from the column to
the expression (number || ''), which dids.filters.NumberContains searches.

pg_trgm (1.6, PostgreSQL 14+) also answers "=" from a trigram index, and for a list
of numbers (IN, or a join with a list) the planner took it for the cheapest path at
a million DIDs, then read thousands of rows per number: a duplicate check of 5,000
numbers took 60-90 s instead of 25 ms on the B-tree. On an expression, the index
serves only the searches written against that expression."""

from django.db import migrations

FORWARD = [
    "DROP INDEX IF EXISTS did_number_trgm",
    "CREATE INDEX did_number_trgm ON dids_did USING gin ((number || '') gin_trgm_ops)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS did_number_trgm",
    "CREATE INDEX did_number_trgm ON dids_did USING gin (number gin_trgm_ops)",
]


def _on_postgresql(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("dids", "0006_drop_duplicate_prefix_index")]
    operations = [migrations.RunPython(_on_postgresql(FORWARD), _on_postgresql(BACKWARD))]
