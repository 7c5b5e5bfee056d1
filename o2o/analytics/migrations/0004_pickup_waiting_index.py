"""An index of the pickup vouchers still waiting (issued), for the dashboard's waiting and overdue counts.

Without it both counts walk every voucher ever issued (~1 M at 1,000 stores: 180 ms for the overdue
one). Partial: a voucher enters it when issued and is never added again (a redeemed, expired or
revoked voucher's new row version is not in it). SQL here, as 0002 does, for the
dashboard that needs it."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0003_daily_sales_by_store"),
        ("pickup", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(
            sql="CREATE INDEX IF NOT EXISTS analytics_voucher_waiting ON pickup_pickupvoucher (location_id, issued_at) "
            "WHERE state = 'issued'",
            reverse_sql="DROP INDEX IF EXISTS analytics_voucher_waiting",
        ),
    ]
