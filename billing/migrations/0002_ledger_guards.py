"""Database guards for the ledger (PostgreSQL; SQLite is the zero-setup default
and relies on the service code alone).

1. Entries are immutable: UPDATE and DELETE are refused.
2. Each entry continues its account's chain: balance_before equals the previous
   entry's balance_after (0 for the first entry).
3. At commit, every touched account's balance equals its last entry's
   balance_after. With 1 and 2 that is balance == sum(entries).
"""

from django.db import migrations

FORWARD = r"""
CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ledger entries are immutable; post a correcting entry instead'
        USING ERRCODE = 'integrity_constraint_violation';
END $$ LANGUAGE plpgsql;

CREATE TRIGGER ledger_immutable BEFORE UPDATE OR DELETE ON billing_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();

CREATE OR REPLACE FUNCTION ledger_check_chain() RETURNS trigger AS $$
DECLARE prev numeric;
BEGIN
    IF NEW.seq = 1 THEN
        prev := 0;
    ELSE
        SELECT balance_after INTO prev FROM billing_ledgerentry
            WHERE account_id = NEW.account_id AND seq = NEW.seq - 1;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'ledger entry % of account % has no predecessor', NEW.seq, NEW.account_id
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
    END IF;
    IF NEW.balance_before <> prev THEN
        RAISE EXCEPTION 'ledger entry % of account % starts at % but the chain is at %',
            NEW.seq, NEW.account_id, NEW.balance_before, prev
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER ledger_chain BEFORE INSERT ON billing_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION ledger_check_chain();

CREATE OR REPLACE FUNCTION account_check_balance() RETURNS trigger AS $$
DECLARE acct_id bigint; stored numeric; last_after numeric;
BEGIN
    IF TG_TABLE_NAME = 'billing_ledgerentry' THEN acct_id := NEW.account_id; ELSE acct_id := NEW.id; END IF;
    SELECT balance INTO stored FROM accounts_account WHERE id = acct_id;
    IF NOT FOUND THEN RETURN NULL; END IF;
    SELECT balance_after INTO last_after FROM billing_ledgerentry
        WHERE account_id = acct_id ORDER BY seq DESC LIMIT 1;
    IF stored <> COALESCE(last_after, 0) THEN
        RAISE EXCEPTION 'account % balance % differs from its ledger %', acct_id, stored, COALESCE(last_after, 0)
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER ledger_balance_matches AFTER INSERT ON billing_ledgerentry
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION account_check_balance();
CREATE CONSTRAINT TRIGGER account_balance_matches AFTER INSERT OR UPDATE OF balance ON accounts_account
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION account_check_balance();
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS account_balance_matches ON accounts_account;
DROP TRIGGER IF EXISTS ledger_balance_matches ON billing_ledgerentry;
DROP TRIGGER IF EXISTS ledger_chain ON billing_ledgerentry;
DROP TRIGGER IF EXISTS ledger_immutable ON billing_ledgerentry;
DROP FUNCTION IF EXISTS account_check_balance();
DROP FUNCTION IF EXISTS ledger_check_chain();
DROP FUNCTION IF EXISTS ledger_refuse_change();
"""


def _run_on_postgresql(schema_editor, sql: str) -> None:
    if schema_editor.connection.vendor == "postgresql":
        # A raw cursor: the SQL contains '%' placeholders of RAISE, not query parameters.
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(sql)


def forward(apps, schema_editor):
    _run_on_postgresql(schema_editor, FORWARD)


def backward(apps, schema_editor):
    _run_on_postgresql(schema_editor, BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial"), ("accounts", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
