"""Issue 15: DID history belongs to dids (dids/migrations/0008). State only: the table
billing_didhistory stays as it is, with its rows."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0009_ledger_triggers_use_the_index'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='DIDHistory')],
            database_operations=[],
        ),
    ]
