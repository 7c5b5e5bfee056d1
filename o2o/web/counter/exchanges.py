"""Exchanges at the counter (换货): on the returns page of an order handed over at this store, the store
manager swaps units of a line for another variant of the same product at the same price; no money moves
(orders.exchanges says what may be swapped)."""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from o2o.access.permissions import Operation, may
from o2o.core.errors import DomainError, ErrorCode
from o2o.orders.exchanges import exchange_goods
from o2o.web.counter.errors import explain
from o2o.web.counter.forms import ExchangeForm
from o2o.web.counter.pages import counter_page
from o2o.web.counter.returns import order_here, panel


def _exchange_error(error: DomainError) -> str:
    if error.code == ErrorCode.INVALID and error.extra.get("reason") == "prices_differ":
        return _("The prices differ: take it back as a return and sell the other one.")
    messages_by_code = {
        ErrorCode.INVALID: _("Exchange only for another size or colour of the same product."),
        ErrorCode.RETURN_EXCEEDS_SOLD: _(
            "That is more units than the customer still has of this item (sold, less returned and exchanged)."
        ),
        ErrorCode.INSUFFICIENT_STOCK: _(
            "Not enough of the other variant on this store's shelf. Nothing was exchanged."
        ),
        ErrorCode.ILLEGAL_TRANSITION: _("This order takes no exchanges now: only orders handed over at this store."),
        ErrorCode.IDEMPOTENCY_CONFLICT: _("This form was sent already with other choices. Reload the order."),
    }
    return messages_by_code.get(error.code) or explain(error)


@counter_page
@require_POST
def exchange(request: HttpRequest, order_id: int) -> HttpResponse:
    if not may(request.actor, Operation.EXCHANGE_GOODS, location_id=request.location_id):
        raise PermissionDenied
    order = order_here(request, order_id=order_id)
    form = ExchangeForm(request.POST, order=order, store=request.store)
    if not form.is_valid():
        return panel(request, 422, order=order, exchange_form=form)
    data = form.cleaned_data
    try:
        done = exchange_goods(
            actor=request.actor,
            order=order,
            line_id=data["line"],
            to_sku_id=data["to_sku"],
            quantity=data["quantity"],
            idempotency_key=data["key"],
        )
    except DomainError as error:
        form.add_error(None, _exchange_error(error))
        status = 409 if error.code == ErrorCode.INSUFFICIENT_STOCK else 422
        return panel(request, status, order=order, exchange_form=form)
    return panel(request, order=order_here(request, order_id=order_id), exchanged=done)
