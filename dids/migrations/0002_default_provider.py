"""The seed's "default provider (3673942894)" exists after the first migrate."""

from django.db import migrations

DEFAULT_NAME = "default provider"
DEFAULT_NUMBER = "3673942894"


def create_default_provider(apps, schema_editor):
    Provider = apps.get_model("dids", "Provider")
    Provider.objects.get_or_create(name=DEFAULT_NAME, defaults={"number": DEFAULT_NUMBER, "is_active": True})


def remove_default_provider(apps, schema_editor):
    Provider = apps.get_model("dids", "Provider")
    Provider.objects.filter(name=DEFAULT_NAME, number=DEFAULT_NUMBER, dids__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("dids", "0001_initial")]
    operations = [migrations.RunPython(create_default_provider, remove_default_provider)]
