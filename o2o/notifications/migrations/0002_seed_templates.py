"""The chain's starting texts for every kind, language and channel (HQ edits them afterwards).
Rows that exist are left alone, so re-running never overwrites HQ's wording."""

from django.db import migrations


# The kinds 0001's CHECK knows; a kind added later is seeded by the migration that adds it.
KINDS = frozenset(
    {"paid", "paid_pickup", "ready_for_pickup", "pickup_reminder", "picked_up", "out_for_delivery", "delivered",
     "refunded", "marketing"}
)  # fmt: skip


def seed(apps, schema_editor):
    from o2o.notifications.defaults import all_defaults

    Template = apps.get_model("notifications", "NotificationTemplate")
    Template.objects.bulk_create(
        [Template(kind=k, language=lang, channel=ch, body=body) for k, lang, ch, body in all_defaults() if k in KINDS],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [("notifications", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
