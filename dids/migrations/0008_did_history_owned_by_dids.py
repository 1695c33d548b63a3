"""Issue 15: DID history moves here from billing (billing/migrations/0010). State only: the\ntable keeps its name, billing_didhistory, and its rows."""

import django.db.models.deletion
import djmoney.models.fields
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
        ('dids', '0007_trigram_index_on_an_expression'),
        ('billing', '0010_did_history_owned_by_dids'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.SeparateDatabaseAndState(database_operations=[], state_operations=[
        migrations.CreateModel(
            name='DIDHistory',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('action', models.CharField(choices=[('purchased', 'Purchased'), ('released', 'Released'), ('price_changed', 'Price changed'), ('changed', 'Changed')], max_length=20)),
                ('setup_fee_currency', djmoney.models.fields.CurrencyField(choices=[('USD', 'US Dollar')], default='USD', editable=False, max_length=3, null=True)),
                ('setup_fee', djmoney.models.fields.MoneyField(blank=True, decimal_places=4, max_digits=14, null=True)),
                ('price_currency', djmoney.models.fields.CurrencyField(choices=[('USD', 'US Dollar')], default='USD', editable=False, max_length=3, null=True)),
                ('price', djmoney.models.fields.MoneyField(blank=True, decimal_places=4, max_digits=14, null=True)),
                ('old_setup_fee_currency', djmoney.models.fields.CurrencyField(choices=[('USD', 'US Dollar')], default='USD', editable=False, max_length=3, null=True)),
                ('old_setup_fee', djmoney.models.fields.MoneyField(blank=True, decimal_places=4, max_digits=14, null=True)),
                ('old_price_currency', djmoney.models.fields.CurrencyField(choices=[('USD', 'US Dollar')], default='USD', editable=False, max_length=3, null=True)),
                ('old_price', djmoney.models.fields.MoneyField(blank=True, decimal_places=4, max_digits=14, null=True)),
                ('description', models.CharField(blank=True, max_length=255)),
                ('at', models.DateTimeField(auto_now_add=True)),
                ('account', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.account')),
                ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('did', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='history', to='dids.did')),
                ('for_account', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.account')),
            ],
            options={
                'verbose_name_plural': 'DID history',
                'db_table': 'billing_didhistory',
                'ordering': ['-at', '-pk'],
            },
        ),
    ])]
