"""Buy DIDs sorted by price or setup fee at a million DIDs: the operator pool in (fee, number) order
(resellers/offer_rows.py with_buyer_prices, docs/decisions.md)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_password_reset_requests'),
        ('dids', '0008_did_history_owned_by_dids'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='did',
            index=models.Index(condition=models.Q(('holder__isnull', True), ('status', 'active')), fields=['monthly_fee', 'number'], name='did_pool_price'),
        ),
        migrations.AddIndex(
            model_name='did',
            index=models.Index(condition=models.Q(('holder__isnull', True), ('status', 'active')), fields=['setup_fee', 'number'], name='did_pool_setup_fee'),
        ),
    ]
