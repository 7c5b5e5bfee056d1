"""One order as the store sees it: lines, customer, where it is picked up, payments and refunds, history."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from o2o.members.phones import mask_phone
from o2o.orders.models import OrderState
from o2o.orders.selectors import get_order_for, order_history
from o2o.payments.selectors import tenders_of_order
from o2o.pickup.selectors import voucher_of_order
from o2o.web.auth import refusals_as_http, staff_page
from o2o.web.manager.scope import store_scope
from o2o.web.manager.views import MANAGER_ROLES, page_context

_STATE_LABELS = dict(OrderState.choices)


@staff_page(*MANAGER_ROLES)
@refusals_as_http
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    scope = store_scope(request)
    order = get_order_for(actor=request.actor, order_id=order_id)
    if scope.location.pk not in (order.selling_location_id, order.fulfilment_location_id):
        raise Http404  # the same answer as for an order of another store
    voucher = voucher_of_order(order_id=order.pk)
    history = [
        {"step": step, "label": _STATE_LABELS.get(step.to_state, step.to_state)}
        for step in order_history(order_id=order.pk)
    ]
    context = page_context(
        request,
        scope,
        "orders",
        order=order,
        voucher=voucher,
        customer_phone=mask_phone(order.member.phone) if order.member else "",
        tenders=tenders_of_order(order_id=order.pk),
        history=history,
    )
    return render(request, "web/manager/order.html", context)
