"""The default follow-up policy: a survey message three days after the hand-over (HQ changes it)."""

from django.db import migrations


def seed(apps, schema_editor):
    FollowUpPolicy = apps.get_model("aftercare", "FollowUpPolicy")
    if not FollowUpPolicy.objects.filter(category__isnull=True).exists():
        FollowUpPolicy.objects.create(category=None, delay_days=3, channel="message", active=True)


class Migration(migrations.Migration):
    dependencies = [("aftercare", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
