"""An index on orders.paid_at for the dashboard's live part (today, and days not rolled up).

Kept here, in raw SQL, rather than in orders.Order.Meta.indexes, because the orders app is being
reworked by another change at the same time; it can move there later (SeparateDatabaseAndState with
the same name). Partial: unpaid orders are never in it, so placing an order does not maintain it."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0001_initial"),
        ("orders", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(
            sql="CREATE INDEX IF NOT EXISTS analytics_order_paid_at ON orders_order (paid_at) WHERE paid_at IS NOT NULL",
            reverse_sql="DROP INDEX IF EXISTS analytics_order_paid_at",
        ),
    ]
