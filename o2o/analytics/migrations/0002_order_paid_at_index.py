"""An index on orders.paid_at for the dashboard's live part (today, and days not rolled up).

The dashboard owns it: it is created here, in SQL, so the orders model stays as it is (it can move
to orders.Order.Meta.indexes with SeparateDatabaseAndState under the same name).
Partial: unpaid orders are never in it, so placing an order does not maintain it."""

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
