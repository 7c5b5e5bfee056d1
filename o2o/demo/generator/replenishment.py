"""Demo replenishment: every store stocks up to a target of four times its alert level, the first
stores' proposals are worked out (the nightly job's), the first store's are approved into a
requested transfer from the warehouse and the second's stay open for the manager, so
/manager/replenishment/ shows open proposals, a requested transfer and, at the warehouse, a
request to ship. docs/replenishment.md."""

from django.db.models import F

from o2o.access.actors import SYSTEM
from o2o.demo.generator.base import Run
from o2o.inventory.models import StockLevel
from o2o.replenishment.services import approve_proposals, propose_replenishment
from o2o.stores.models import Location

TARGET_TIMES_ALERT = 4
PROPOSING_STORES = 2
APPROVED_LINES = 8


def create_replenishment(run: Run) -> None:
    StockLevel.objects.filter(location__kind=Location.Kind.STORE, alert_level__gt=0).update(
        target_level=F("alert_level") * TARGET_TIMES_ALERT
    )
    stores = list(Location.objects.filter(kind=Location.Kind.STORE, is_active=True).order_by("code")[:PROPOSING_STORES])
    proposed = approved = 0
    for i, store in enumerate(stores):
        proposals = propose_replenishment(actor=SYSTEM, location_id=store.pk, now=run.at(run.today, 2))
        proposed += len(proposals)
        if i == 0:
            chosen = [p.pk for p in proposals if p.source_id is not None][:APPROVED_LINES]
            if chosen:
                approved += len(approve_proposals(actor=SYSTEM, location_id=store.pk,
                                                  quantities=dict.fromkeys(chosen)))  # fmt: skip
    run.say(f"replenishment: {proposed} proposals at {len(stores)} stores, {approved} transfers requested")
