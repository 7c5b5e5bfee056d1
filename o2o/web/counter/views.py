"""The counter's home (pickups waiting at this store) and the receipt of a counter order."""

from dataclasses import dataclass
from datetime import timedelta

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from o2o.core.errors import DomainError
from o2o.orders.models import Fulfilment, Order
from o2o.orders.selectors import get_order_for
from o2o.payments.selectors import succeeded_tenders
from o2o.pickup.models import PickupVoucher
from o2o.pickup.selectors import voucher_of_order, waiting_pickups
from o2o.web.counter.display import Customer
from o2o.web.counter.pages import counter_page, respond

WAITING_SHOWN = 100
OVERDUE_AFTER = timedelta(hours=48)  # as the managers' overdue list counts it


@dataclass(frozen=True)
class WaitingPickup:
    voucher: PickupVoucher
    customer: Customer | None
    lines: list
    overdue: bool


@counter_page
def home(request: HttpRequest) -> HttpResponse:
    """Pickups waiting at this store, oldest first; the list refreshes itself every half minute."""
    vouchers = waiting_pickups(location_id=request.location_id).prefetch_related("order__lines__sku")
    cutoff = timezone.now() - OVERDUE_AFTER
    waiting = [
        WaitingPickup(v, Customer.of(v.order.member), list(v.order.lines.all()), v.issued_at < cutoff)
        for v in vouchers[:WAITING_SHOWN]
    ]
    context = {"store": request.store, "waiting": waiting, "more": vouchers.count() - len(waiting)}
    return respond(request, "web/counter/home.html", context, partial="waiting")


def _sold_here(request: HttpRequest, order_id: int) -> Order:
    """An order sold at this counter; any other is a 404, like a missing one."""
    try:
        order = get_order_for(actor=request.actor, order_id=order_id)
    except DomainError as error:
        raise Http404 from error
    if order.selling_location_id != request.location_id:
        raise Http404
    return order


@counter_page
def receipt(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _sold_here(request, order_id)
    context = {
        "store": request.store,
        "order": order,
        "lines": order.lines.select_related("sku").order_by("pk"),
        "payments": succeeded_tenders(order_id=order.pk),
        "customer": Customer.of(order.member),
        "voucher": voucher_of_order(order_id=order.pk) if order.fulfilment == Fulfilment.PICKUP else None,
        "elsewhere": order.fulfilment_location_id != order.selling_location_id,
    }
    return render(request, "web/counter/receipt.html", context)
