"""Least-privilege back-office rights for the role groups (table: o2o/staff/admin_rights.py).

The same table is applied again after every `migrate` (StaffConfig.ready), so models that later
migrations add get their rights without another migration here.
"""

from django.db import migrations


def grant(apps, schema_editor):
    from o2o.staff.admin_rights import ADMIN_ROLES, grant_admin_rights
    from o2o.staff.models import Role

    using = schema_editor.connection.alias
    grant_admin_rights(apps, using=using)
    # Store roles and supervisors work on their pages; an install from before this change let
    # some of them into the admin.
    User = apps.get_model("auth", "User")
    outside = [r.value for r in Role if r not in ADMIN_ROLES]
    User.objects.using(using).filter(employee__role__in=outside, is_superuser=False).update(is_staff=False)


def revoke(apps, schema_editor):
    from o2o.staff.models import Role

    Group = apps.get_model("auth", "Group")
    for group in Group.objects.using(schema_editor.connection.alias).filter(name__in=Role.values):
        group.permissions.clear()


class Migration(migrations.Migration):
    dependencies = [
        ("staff", "0002_role_groups"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0003_outbox_secret"),
        ("catalog", "0001_initial"),
        ("stores", "0001_initial"),
        ("members", "0001_initial"),
        ("access", "0001_initial"),
        ("inventory", "0001_initial"),
        ("orders", "0001_initial"),
        ("payments", "0003_one_pending_online_payment"),
        ("pickup", "0001_initial"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
