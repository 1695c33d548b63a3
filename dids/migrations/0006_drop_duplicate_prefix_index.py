"""Drop did_number_prefix (migration 0003): Django already gives the unique number
column a varchar_pattern_ops index on PostgreSQL (dids_did_number_..._like), which
serves "starts with" the same way. Two identical indexes cost every insert twice,
and a million-row import writes each index a million times. (A no-op on SQLite,
which never had it; going back does not recreate it, the _like index stays.)"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("dids", "0005_list_indexes")]
    operations = [migrations.RunSQL("DROP INDEX IF EXISTS did_number_prefix", reverse_sql=migrations.RunSQL.noop)]
