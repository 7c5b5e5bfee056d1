from django.core.management.base import BaseCommand, CommandError

from o2o.inventory.selectors import audit_stock


class Command(BaseCommand):
    help = "Recompute stock from the ledger and active reservations; report every difference."

    def handle(self, *args, **options) -> None:
        differences = audit_stock()
        for d in differences:
            self.stdout.write(
                f"location {d.location_id} sku {d.sku_id}: {d.field} book={d.book} recomputed={d.recomputed}"
            )
        if differences:
            raise CommandError(f"stock audit: {len(differences)} difference(s)")
        self.stdout.write(self.style.SUCCESS("stock audit: 0 differences"))
