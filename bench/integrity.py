"""The check every run ends with: nothing oversold, book stock equal to the ledger."""

from __future__ import annotations

PAID_STATES = ["paid", "ready_for_pickup", "picked_up", "out_for_delivery", "delivered", "completed"]


def check_integrity(plan: dict) -> dict:
    from django.db.models import Count, F, Q, Sum

    from o2o.inventory.models import StockLevel
    from o2o.inventory.selectors import audit_stock
    from o2o.orders.models import Order, OrderLine

    differences = audit_stock()
    bad_levels = StockLevel.objects.filter(Q(reserved__gt=F("on_hand")) | Q(on_hand__lt=0) | Q(reserved__lt=0))
    # a paid line always holds its stock: an active (not yet handed over) or fulfilled reservation
    unbacked = OrderLine.objects.filter(order__state__in=PAID_STATES).exclude(
        reservations__state__in=["active", "fulfilled"]
    )
    hot_units = OrderLine.objects.filter(
        order__fulfilment_location_id=plan["hot_store"], sku_id=plan["hot_sku"]
    ).exclude(order__state__in=["cancelled", "refunded"]).aggregate(units=Sum("quantity"))["units"] or 0
    hot_level = StockLevel.objects.get(location_id=plan["hot_store"], sku_id=plan["hot_sku"])
    states = dict(Order.objects.values_list("state").annotate(n=Count("pk")).values_list("state", "n"))
    result = {
        "audit_differences": len(differences),
        "audit_sample": [repr(d) for d in differences[:5]],
        "levels_reserved_gt_on_hand_or_negative": bad_levels.count(),
        "paid_lines_without_stock": unbacked.count(),
        "hot_units_sold_or_held": hot_units,
        "hot_stock_received": plan["hot_stock"],
        "hot_level": {"on_hand": hot_level.on_hand, "reserved": hot_level.reserved},
        "orders_by_state": states,
    }
    result["ok"] = (
        not differences and result["levels_reserved_gt_on_hand_or_negative"] == 0
        and result["paid_lines_without_stock"] == 0 and hot_units <= plan["hot_stock"]
    )
    return result
