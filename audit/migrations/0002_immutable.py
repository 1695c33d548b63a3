"""Audit entries are immutable (PostgreSQL): UPDATE and DELETE are refused by a trigger,
whoever asks (the portal, Django's admin, a shell, psql without superuser tricks).
SQLite, the zero-setup default, relies on the code: nothing in the portal updates or
deletes an entry. TRUNCATE is left alone, as for the ledger (the test suite empties
tables with it)."""

from django.db import migrations

FORWARD = r"""
CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit entries are immutable'
        USING ERRCODE = 'integrity_constraint_violation';
END $$ LANGUAGE plpgsql;

CREATE TRIGGER audit_immutable BEFORE UPDATE OR DELETE ON audit_auditentry
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS audit_immutable ON audit_auditentry;
DROP FUNCTION IF EXISTS audit_refuse_change();
"""


def _run_on_postgresql(schema_editor, sql: str) -> None:
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(sql)


def forward(apps, schema_editor):
    _run_on_postgresql(schema_editor, FORWARD)


def backward(apps, schema_editor):
    _run_on_postgresql(schema_editor, BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
