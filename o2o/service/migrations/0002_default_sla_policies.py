"""Every ticket type and priority gets an SLA policy (o2o/service/defaults.py)."""

from django.db import migrations

from o2o.service.defaults import default_policies


def seed(apps, schema_editor):
    SlaPolicy = apps.get_model("service", "SlaPolicy")
    SlaPolicy.objects.bulk_create([SlaPolicy(**row) for row in default_policies()], ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [("service", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
