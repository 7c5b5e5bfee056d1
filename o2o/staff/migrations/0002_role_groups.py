"""Every role of DESIGN §1 is a permission group of the same name."""

from django.db import migrations

ROLES = [
    "hq",
    "regional_supervisor",
    "store_manager",
    "clerk",
    "online_operator",
    "marketer",
    "cs_agent",
    "technician",
    "warehouse_clerk",
]


def create_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [
        ("staff", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
