from django.core.management.base import BaseCommand, CommandError

from o2o.analytics import audit as analytics_audit
from o2o.attribution import audit as attribution_audit
from o2o.cashbook import audit as cashbook_audit
from o2o.commission import audit as commission_audit
from o2o.installments import audit as installments_audit
from o2o.inventory.selectors import audit_stock
from o2o.loyalty import audit as loyalty_audit
from o2o.orders import audit as orders_audit
from o2o.payments import audit as payments_audit
from o2o.pickup import audit as pickup_audit
from o2o.rewards.selectors import red_packets_against_shares
from o2o.wallet import audit as wallet_audit


class Command(BaseCommand):
    help = (
        "Check the books: stock against its ledger and against business facts (receipts, transfers, "
        "order lines handed over and returned), reservations against the orders that hold them, "
        "money (payments minus refunds against order totals, stuck payments and refunds) and pickup "
        "vouchers against paid orders, the daily sales rollups against the orders. Prints every finding; "
        "exits non-zero if there is any."
    )

    def handle(self, *args, **options) -> None:
        findings = [
            *(
                f"stock_ledger: location {d.location_id} sku {d.sku_id}: {d.field} book={d.book} "
                f"recomputed={d.recomputed}"
                for d in audit_stock()
            ),
            *(str(f) for f in orders_audit.run()),
            *(str(f) for f in payments_audit.run()),
            *(str(f) for f in pickup_audit.run()),
            *(str(f) for f in wallet_audit.run()),
            *(str(f) for f in loyalty_audit.run()),
            *(str(f) for f in installments_audit.run()),
            *(str(f) for f in cashbook_audit.run()),
            *(str(f) for f in attribution_audit.run()),
            *(str(f) for f in commission_audit.run()),
            *(str(f) for f in red_packets_against_shares()),
            *(str(f) for f in analytics_audit.run()),
        ]
        for line in findings:
            self.stdout.write(line)
        if findings:
            raise CommandError(f"audit: {len(findings)} difference(s)")
        self.stdout.write(self.style.SUCCESS("audit: 0 differences (stock, money, vouchers, red packets)"))
