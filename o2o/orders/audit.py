"""Audit checks that orders can answer: stock recomputed from business facts, and reservations
that no order needs any more. Each check returns findings; an empty list means it holds.

`inventory.selectors.audit_stock` compares the cached stock with the ledger the same code
wrote; this one recomputes on-hand stock from what happened in the business instead:

    on hand = receipts + adjustments + stocktakes   (facts only the ledger records)
            - transfers sent + transfers received    (transfer lines and their states)
            - units that left with customers          (order lines of orders handed over,
                                                       minus the units returned; exchanges swap
                                                       the handed-back SKU for the replacement)

so a sale booked twice, a return put on the shelf twice, or a hand-over undone with the units
the customer had already returned shows up as a difference.
"""

from collections import defaultdict
from decimal import Decimal

from django.db.models import F, Q, Sum

from o2o.core.findings import Finding
from o2o.core.money import to_money
from o2o.inventory.models import MoveKind, Reservation, StockLevel, StockMove, Transfer, TransferLine
from o2o.orders.models import Exchange, Order, OrderLine, OrderState

# Orders whose goods are with the customer (returned units came back to the fulfilment location).
# A refunded order has every unit returned (or never handed over): nothing of it is out.
GOODS_OUT = (OrderState.PICKED_UP, OrderState.OUT_FOR_DELIVERY, OrderState.DELIVERED, OrderState.COMPLETED)
# Orders that still hold stock for the customer.
NEEDS_RESERVATION = (OrderState.PENDING_PAYMENT, OrderState.PAID, OrderState.READY_FOR_PICKUP)
LEDGER_ONLY_FACTS = (MoveKind.RECEIPT, MoveKind.ADJUSTMENT, MoveKind.COUNT)


def _add(totals: dict, rows, sign: int) -> None:
    for location_id, sku_id, quantity in rows:
        totals[(location_id, sku_id)] += sign * (quantity or 0)


def stock_from_business_facts() -> list[Finding]:
    expected: dict[tuple[int, int], int] = defaultdict(int)
    _add(
        expected,
        StockMove.objects.filter(kind__in=LEDGER_ONLY_FACTS)
        .values("location_id", "sku_id")
        .annotate(total=Sum("quantity"))
        .values_list("location_id", "sku_id", "total"),
        +1,
    )
    lines = TransferLine.objects.exclude(transfer__state=Transfer.State.REQUESTED).values("sku_id")  # not left yet
    _add(
        expected,
        lines.values("transfer__source_id", "sku_id")
        .annotate(total=Sum("quantity"))
        .values_list("transfer__source_id", "sku_id", "total"),
        -1,
    )
    _add(
        expected,
        lines.filter(transfer__state=Transfer.State.RECEIVED)
        .values("transfer__destination_id", "sku_id")
        .annotate(total=Sum("quantity"))
        .values_list("transfer__destination_id", "sku_id", "total"),
        +1,
    )
    _add(
        expected,
        OrderLine.objects.filter(order__state__in=GOODS_OUT)
        .values("order__fulfilment_location_id", "sku_id")
        .annotate(total=Sum(F("quantity") - F("returned_quantity")))
        .values_list("order__fulfilment_location_id", "sku_id", "total"),
        -1,
    )
    # Exchanges (orders.exchanges): the handed-back variant came in again, the replacement left.
    swaps = Exchange.objects.filter(order__state__in=GOODS_OUT)
    for sku_field, sign in (("from_sku_id", +1), ("to_sku_id", -1)):
        _add(
            expected,
            swaps.values("order__fulfilment_location_id", sku_field)
            .annotate(total=Sum("quantity"))
            .values_list("order__fulfilment_location_id", sku_field, "total"),
            sign,
        )
    findings = []
    book = dict(
        ((loc, sku), on_hand)
        for loc, sku, on_hand in StockLevel.objects.values_list("location_id", "sku_id", "on_hand")
    )
    for key in sorted(book.keys() | expected.keys()):
        if book.get(key, 0) != expected.get(key, 0):
            findings.append(
                Finding(
                    "stock_from_facts",
                    f"location {key[0]} sku {key[1]}",
                    f"on hand {book.get(key, 0)}, business facts say {expected.get(key, 0)}",
                )
            )
    return findings


def reservations_nobody_needs() -> list[Finding]:
    stale = (
        Reservation.objects.filter(state=Reservation.State.ACTIVE)
        .exclude(order_line__order__state__in=NEEDS_RESERVATION)
        .values_list("pk", "order_line__order__number", "order_line__order__state", "quantity")
    )
    return [
        Finding("reservation_not_needed", f"reservation {pk}", f"{quantity} held for order {number}, which is {state}")
        for pk, number, state, quantity in stale[:1000]
    ]


def order_money() -> list[Finding]:
    """The money model, across rows (the CHECKs hold each row alone): an order's lines add up to its
    subtotal and discounts, a line's discount rows add up to its discount total (and a line without
    a discount total has none), and no order refunded more than its total.

    The sums are compared here, to the fen, not in SQL: SQLite adds decimals as floats."""
    findings = []
    orders = Order.objects.annotate(
        lines_gross=Sum("lines__line_total"), lines_discount=Sum("lines__discount_total")
    ).values_list("number", "subtotal", "discount_total", "lines_gross", "lines_discount")
    for number, subtotal, discount, gross, line_discount in orders.order_by().iterator(chunk_size=2000):
        if (_fen(gross), _fen(line_discount)) != (subtotal, discount):
            findings.append(
                Finding(
                    "order_lines_sum",
                    f"order {number}",
                    f"subtotal {subtotal} / discounts {discount}, its lines say {_fen(gross)} / {_fen(line_discount)}",
                )
            )
    lines = (
        OrderLine.objects.filter(Q(discount_total__gt=0) | Q(discounts__isnull=False))
        .annotate(discounted=Sum("discounts__amount"))
        .values_list("pk", "order__number", "discount_total", "discounted")
    )
    for pk, number, discount, discounted in lines.order_by().iterator(chunk_size=2000):
        if _fen(discounted) != discount:
            findings.append(
                Finding(
                    "line_discounts_sum",
                    f"order {number} line {pk}",
                    f"discount {discount}, its discount rows say {_fen(discounted)}",
                )
            )
    over = Order.objects.filter(refunded_total__gt=F("total")).values_list("number", "refunded_total", "total")
    for number, refunded, total in over[:1000]:
        findings.append(Finding("refund_within_total", f"order {number}", f"refunded {refunded} of {total}"))
    return findings[:3000]


def _fen(value) -> Decimal:
    return to_money(Decimal(str(value))) if value is not None else Decimal("0.00")


def run() -> list[Finding]:
    return [*stock_from_business_facts(), *reservations_nobody_needs(), *order_money()]
