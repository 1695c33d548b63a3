"""Indexes for searching numbers on PostgreSQL (SQLite searches a demo-sized table by scanning):

- "contains": a trigram GIN index (pg_trgm), used for 3 digits or more, which is why
  the search panel asks for at least 3;
- "starts with": a varchar_pattern_ops B-tree, which LIKE '+1855%' can use whatever
  the database's collation (the unique index on number cannot, outside the C collation).

pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
"""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS did_number_trgm ON dids_did USING gin (number gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS did_number_prefix ON dids_did (number varchar_pattern_ops)",
]
BACKWARD = ["DROP INDEX IF EXISTS did_number_prefix", "DROP INDEX IF EXISTS did_number_trgm"]


def _on_postgresql(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("dids", "0002_default_provider")]
    operations = [migrations.RunPython(_on_postgresql(FORWARD), _on_postgresql(BACKWARD))]
