"""Attribution in the demo: the default touchpoint matrix (the demo's reset emptied it), an upcoming
version HQ has published, and the credits of the history's paid orders as attribution's handlers
would have written them when they were paid and returned (docs/attribution.md).

The history is written in bulk, without events, so the credits are too: no LINES_CREDITED or
CREDITS_REVERSED is published here (commission's demo builds its own ledger)."""

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from o2o.attribution import services
from o2o.attribution.defaults import DEFAULT_MATRIX
from o2o.attribution.models import LineCredit, MatrixVersion, TouchpointRule, TouchpointShare
from o2o.demo.generator.base import Run
from o2o.orders.models import PAID_STATES, Order, OrderLine, OrderState

BATCH_ORDERS = 1000


def create_attribution(run: Run) -> None:
    version = services.seed_default_matrix()
    _publish_upcoming(run)
    shares: dict[str, list[TouchpointShare]] = defaultdict(list)
    for share in (
        TouchpointShare.objects.filter(rule__version=version).select_related("rule").order_by("-is_owner", "pk")
    ):
        shares[share.rule.touchpoint].append(share)
    order_ids = list(Order.objects.filter(state__in=PAID_STATES).order_by("pk").values_list("pk", flat=True))
    written = 0
    for start in range(0, len(order_ids), BATCH_ORDERS):
        written += _credit_batch(run, order_ids[start : start + BATCH_ORDERS], shares)
    run.say(f"attribution: {written} line credits for {len(order_ids)} paid orders")


def _publish_upcoming(run: Run) -> None:
    """From the first of next month, share-link sellers get 75 % (HQ's "spring push")."""
    first_of_next = (run.today.replace(day=1) + timedelta(days=32)).replace(day=1)
    upcoming = MatrixVersion.objects.create(effective_from=first_of_next, note="spring push: share links 75 %")
    changed = {"share_link_sale": [("share_link_employee", "75", True), ("fulfilling_store", "15", False),
                                   ("acquiring_employee", "10", False)]}  # fmt: skip
    for touchpoint, (lead, rule_shares) in DEFAULT_MATRIX.items():
        rule = TouchpointRule.objects.create(version=upcoming, touchpoint=touchpoint, lead=lead)
        TouchpointShare.objects.bulk_create(
            TouchpointShare(rule=rule, party=party, percent=Decimal(percent), is_owner=owner)
            for party, percent, owner in changed.get(touchpoint, rule_shares)
        )


def _credit_batch(run: Run, order_ids: list[int], shares: dict[str, list[TouchpointShare]]) -> int:
    rows = Order.objects.filter(pk__in=order_ids).values(
        "pk", "channel", "fulfilment", "state", "paid_at", "closed_at", *services.FACT_FIELDS
    )
    lines: dict[int, list[dict]] = defaultdict(list)
    returned: dict[int, int] = {}
    for line in (
        OrderLine.objects.filter(order_id__in=order_ids)
        .order_by("pk")
        .values("pk", "order_id", "quantity", "net_amount", "returned_quantity")
    ):
        lines[line["order_id"]].append(line)
        returned[line["pk"]] = line["returned_quantity"]
    credits, closing = [], {}
    for row in rows:
        order = Order(
            pk=row["pk"],
            channel=row["channel"],
            fulfilment=row["fulfilment"],
            selling_location_id=row["selling_location_id"],
            paid_at=row["paid_at"],
        )
        credits += services.credits_of(
            order=order, facts=row, shares_for=lambda _day, touchpoint: shares[touchpoint], lines=lines[row["pk"]]
        )
        closing[row["pk"]] = (row["state"], row["closed_at"] or row["paid_at"])
    LineCredit.objects.bulk_create(credits, batch_size=run.batch_size)
    reversals = []
    for credit in credits:
        state, at = closing[credit.order_id]
        units = credit.quantity if state == OrderState.UNCOLLECTED else returned[credit.line_id]
        if units:
            reversals.append(services.reversal_of(credit, before=0, units=units, at=at))
    LineCredit.objects.bulk_create(reversals, batch_size=run.batch_size)
    return len(credits) + len(reversals)
