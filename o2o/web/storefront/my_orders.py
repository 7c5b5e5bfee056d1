"""The customer's orders: the list, one order with its live status and pickup code, cancelling."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from o2o.core.errors import DomainError
from o2o.core.ids import is_id
from o2o.delivery.selectors import delivery_status
from o2o.orders.models import Fulfilment, Order, OrderState
from o2o.orders.selectors import get_order_for, orders_for
from o2o.orders.states import PAID_NOT_HANDED_OVER
from o2o.payments.services import cancel_order
from o2o.pickup.models import PickupVoucher
from o2o.pickup.qr import voucher_qr_data_uri
from o2o.pickup.selectors import voucher_of_order
from o2o.preparation.models import OPEN_STATES
from o2o.preparation.selectors import preparation_of_order
from o2o.web.auth import member_page
from o2o.web.htmx import is_htmx
from o2o.web.storefront.pages import render_shop
from o2o.web.storefront.pickup_times import pickup_when
from o2o.web.storefront.places import is_open_now

PAGE_SIZE = 20
# Nothing more happens to these that the customer waits for: the page stops asking.
SETTLED = frozenset(
    {OrderState.PICKED_UP, OrderState.DELIVERED, OrderState.COMPLETED, OrderState.CANCELLED, OrderState.REFUNDED}
    | {OrderState.UNCOLLECTED}
)
CANCELLABLE = frozenset({OrderState.PENDING_PAYMENT, *PAID_NOT_HANDED_OVER})
WAITING = CANCELLABLE  # not handed over yet: the order page says when to come
STATE_BADGE = {
    OrderState.PENDING_PAYMENT: "warn",
    OrderState.READY_FOR_PICKUP: "ok",
    OrderState.PICKED_UP: "ok",
    OrderState.DELIVERED: "ok",
    OrderState.COMPLETED: "ok",
    OrderState.CANCELLED: "bad",
    OrderState.REFUNDED: "bad",
    OrderState.UNCOLLECTED: "bad",
}
T = "web/storefront/"
# The tabs of "My orders", as shoppers know them from the big apps: each a set of order states.
TABS = {
    "all": (gettext_lazy("All"), ()),
    "to-pay": (gettext_lazy("To pay"), (OrderState.PENDING_PAYMENT,)),
    "preparing": (gettext_lazy("Preparing"), (OrderState.PAID,)),
    "to-collect": (gettext_lazy("To pick up / on the way"), (OrderState.READY_FOR_PICKUP, OrderState.OUT_FOR_DELIVERY)),
    "done": (gettext_lazy("Done"), (OrderState.PICKED_UP, OrderState.DELIVERED, OrderState.COMPLETED)),
    "refunds": (
        gettext_lazy("Cancelled / refunded"),
        (OrderState.CANCELLED, OrderState.REFUNDED, OrderState.UNCOLLECTED),
    ),
}


def order_or_404(request: HttpRequest, order_id: int) -> Order:
    if not is_id(order_id):
        raise Http404
    try:
        return get_order_for(actor=request.actor, order_id=order_id)
    except DomainError as error:
        raise Http404 from error


@member_page
def order_list(request: HttpRequest) -> HttpResponse:
    tab = request.GET.get("tab") or "all"
    if tab not in TABS:
        raise Http404
    orders = orders_for(actor=request.actor)
    if states := TABS[tab][1]:
        orders = orders.filter(state__in=states)
    before = request.GET.get("before", "")
    if is_id(before):
        orders = orders.filter(pk__lt=int(before))
    found = list(orders[: PAGE_SIZE + 1])
    page = found[:PAGE_SIZE]
    context = {
        "orders": [(order, STATE_BADGE.get(order.state, "")) for order in page],
        "next_before": page[-1].pk if len(found) > PAGE_SIZE else None,
        "tab": tab,
        "tabs": [(key, label) for key, (label, _states) in TABS.items()],
    }
    if is_htmx(request) and before:
        return render_shop(request, f"{T}orders.html#rows", context)
    return render_shop(request, f"{T}orders.html", context, nav="orders")


@member_page
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    order = order_or_404(request, order_id)
    context = {**_status_context(order), "lines": order.lines.select_related("sku").order_by("pk")}
    return render_shop(request, f"{T}order.html", context, nav="orders")


@member_page
def order_status(request: HttpRequest, order_id: int) -> HttpResponse:
    """Polled by the order page: 204 (nothing to swap) while the state is the one the page shows."""
    order = order_or_404(request, order_id)
    if request.GET.get("seen") == order.state:
        return HttpResponse(status=204)
    return render_shop(request, f"{T}order.html#status", _status_context(order))


def _status_context(order: Order) -> dict:
    voucher = voucher_of_order(order_id=order.pk)
    store = order.fulfilment_location
    showing_code = voucher is not None and voucher.state == PickupVoucher.State.ISSUED
    return {
        "order": order,
        "badge": STATE_BADGE.get(order.state, ""),
        "preparation": _preparing(order),
        "voucher": voucher,
        "voucher_qr": voucher_qr_data_uri(voucher) if showing_code else None,
        "pickup_when": pickup_when(order) if order.fulfilment == Fulfilment.PICKUP and order.state in WAITING else "",
        "store": store,
        "store_open_now": is_open_now(store),
        "can_cancel": order.state in CANCELLABLE,
        "can_pay": order.state == OrderState.PENDING_PAYMENT,
        "seconds_left": seconds_left(order),
        "polling": order.state not in SETTLED,
        # out for delivery: the run's ETA and the code for the driver, or the courier's ETA
        "delivery": delivery_status(order_id=order.pk) if order.state == OrderState.OUT_FOR_DELIVERY else None,
    }


def _preparing(order: Order):
    """The store's preparation while it is still at work on the paid order (备货中, ready by its due time)."""
    if order.state != OrderState.PAID or order.on_hold:
        return None
    preparation = preparation_of_order(order_id=order.pk)
    return preparation if preparation is not None and preparation.state in OPEN_STATES else None


def seconds_left(order: Order) -> int | None:
    if order.state != OrderState.PENDING_PAYMENT or order.payment_deadline is None:
        return None
    return max(int((order.payment_deadline - timezone.now()).total_seconds()), 0)


@require_POST
@member_page
def order_cancel(request: HttpRequest, order_id: int) -> HttpResponse:
    """Unpaid: cancelled and the stock released; paid but not handed over: refunded in full."""
    order = order_or_404(request, order_id)
    try:
        cancel_order(actor=request.actor, order=order)
    except DomainError:
        order.refresh_from_db()
        messages.error(
            request, _("This order is %(state)s and can no longer be cancelled.") % {"state": order.get_state_display()}
        )
    else:
        messages.success(request, _("The order is cancelled."))
    return redirect("web:shop-order", order_id=order.pk)
