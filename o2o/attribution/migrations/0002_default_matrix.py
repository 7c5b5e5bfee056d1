import datetime
from decimal import Decimal

from django.db import migrations

# A copy, not an import: a migration must keep working when the module's defaults change later.
DEFAULT_MATRIX = {
    "pre_sale_content": ("online", [("online_operations", "100", True)]),
    "online_inquiry": ("online", [("online_operations", "70", True), ("selling_store", "30", False)]),
    "share_link_sale": (
        "online",
        [("share_link_employee", "70", True), ("fulfilling_store", "20", False), ("acquiring_employee", "10", False)],
    ),
    "store_sale": ("offline", [("cashier", "80", True), ("acquiring_employee", "20", False)]),
    "endless_aisle": ("offline", [("cashier", "70", True), ("fulfilling_store", "30", False)]),
    "online_order": ("online", [("online_operations", "90", True), ("acquiring_employee", "10", False)]),
    "store_pickup": (
        "online",
        [("online_operations", "60", True), ("fulfilling_store", "30", False), ("acquiring_employee", "10", False)],
    ),
    "after_sale_service": ("offline", [("fulfilling_store", "100", True)]),
    "follow_up_visit": ("offline", [("acquiring_employee", "60", True), ("selling_store", "40", False)]),
    "support_sale": (
        "offline",
        [("cashier", "70", True), ("lending_store", "10", False), ("selling_store", "20", False)],
    ),
}


def seed(apps, schema_editor):
    MatrixVersion = apps.get_model("attribution", "MatrixVersion")
    TouchpointRule = apps.get_model("attribution", "TouchpointRule")
    TouchpointShare = apps.get_model("attribution", "TouchpointShare")
    version, created = MatrixVersion.objects.get_or_create(
        effective_from=datetime.date(2000, 1, 1), defaults={"note": "default matrix"}
    )
    if not created:
        return
    for touchpoint, (lead, shares) in DEFAULT_MATRIX.items():
        rule = TouchpointRule.objects.create(version=version, touchpoint=touchpoint, lead=lead)
        TouchpointShare.objects.bulk_create(
            TouchpointShare(rule=rule, party=party, percent=Decimal(percent), is_owner=owner)
            for party, percent, owner in shares
        )


class Migration(migrations.Migration):
    dependencies = [("attribution", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
