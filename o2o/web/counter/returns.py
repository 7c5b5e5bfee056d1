"""Returns at the counter: a store manager finds an order handed over at this store by its number,
takes goods back line by line, and sees what goes back to which tender (payments.refund_order)."""

import uuid

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from o2o.access.permissions import Operation, may
from o2o.core.errors import DomainError, ErrorCode
from o2o.orders import selectors as orders
from o2o.orders.models import Order, OrderState
from o2o.orders.states import HANDED_OVER
from o2o.payments import services as payments
from o2o.web.counter.display import Customer
from o2o.web.counter.errors import explain
from o2o.web.counter.forms import ExchangeForm
from o2o.web.counter.pages import counter_page, respond

TEMPLATE = "web/counter/returns.html"


class FindForm(forms.Form):
    number = forms.CharField(label=gettext_lazy("Order number"), max_length=20)


class ReturnForm(forms.Form):
    """A quantity per line of the order (0 = keep), a reason, and a key so a double submit returns once."""

    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=255)
    key = forms.CharField(widget=forms.HiddenInput, max_length=80)

    def __init__(self, *args, order: Order, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = list(order.lines.all())
        for line in self.lines:
            self.fields[f"line-{line.pk}"] = forms.IntegerField(
                label=line.sku.name, min_value=0, max_value=line.quantity, initial=0, required=False
            )

    def returned(self) -> dict[int, int]:
        quantities = {line.pk: self.cleaned_data.get(f"line-{line.pk}") or 0 for line in self.lines}
        return {pk: quantity for pk, quantity in quantities.items() if quantity > 0}

    def rows(self) -> list[tuple]:
        """Each line with its quantity field and how many units may still come back."""
        return [
            (line, self[f"line-{line.pk}"], line.quantity - line.returned_quantity - line.exchanged_quantity)
            for line in self.lines
        ]


def _may_return(request: HttpRequest) -> None:
    if not may(request.actor, Operation.RETURN_GOODS, location_id=request.location_id):
        raise PermissionDenied


def order_here(request: HttpRequest, **lookup) -> Order:
    """An order this store handed over (or sold at the counter); another store's is not found here."""
    try:
        order = orders.get_order_for(actor=request.actor, **lookup)
    except DomainError as error:
        raise Http404 from error
    if order.fulfilment_location_id != request.location_id:
        raise Http404
    return order


def _return_error(error: DomainError) -> str:
    state = error.extra.get("state", "")
    messages_by_code = {
        ErrorCode.RETURN_EXCEEDS_SOLD: _(
            "That is more than was sold, less what came back already. Check the quantities."
        ),
        ErrorCode.ILLEGAL_TRANSITION: _(
            "This order takes no returns now (it is %(state)s). Returns are taken for handed-over orders "
            "within the return window."
        )
        % {"state": OrderState(state).label if state in OrderState.values else state},
        ErrorCode.INVALID: _("Enter the quantity to take back of at least one line."),
        ErrorCode.FORBIDDEN: _("Only the store manager can take goods back."),
        ErrorCode.IDEMPOTENCY_CONFLICT: _("This form was sent already with other quantities. Reload the order."),
    }
    return messages_by_code.get(error.code) or explain(error)


def panel(request: HttpRequest, status: int = 200, **context) -> HttpResponse:
    order = context.get("order")
    if order is not None and "form" not in context:
        context["form"] = ReturnForm(order=order, initial={"key": uuid.uuid4().hex})
    may_exchange = may(request.actor, Operation.EXCHANGE_GOODS, location_id=request.location_id)
    if order is not None and may_exchange and "exchange_form" not in context:
        context["exchange_form"] = ExchangeForm(order=order, store=request.store, initial={"key": uuid.uuid4().hex})
    context = {
        "store": request.store,
        "order": None,
        "find": FindForm(initial={"number": order.number} if order is not None else None),
        "customer": Customer.of(order.member) if order is not None else None,
        "returnable": order is not None and order.state in HANDED_OVER,
        **context,
    }
    return respond(request, TEMPLATE, context, partial="panel", status=status)


@counter_page
def page(request: HttpRequest) -> HttpResponse:
    """The number field; with ?number= the order, its lines and the return form."""
    _may_return(request)
    if "number" not in request.GET:
        return panel(request)
    find = FindForm(request.GET)
    if not find.is_valid():
        return panel(request, 422, find=find)
    order = order_here(request, number=find.cleaned_data["number"].strip())
    return panel(request, find=find, order=order)


@counter_page
@require_POST
def take_back(request: HttpRequest, order_id: int) -> HttpResponse:
    _may_return(request)
    order = order_here(request, order_id=order_id)
    form = ReturnForm(request.POST, order=order)
    if not form.is_valid():
        return panel(request, 422, order=order, form=form)
    if not form.returned():
        form.add_error(None, _("Enter the quantity to take back of at least one line."))
        return panel(request, 422, order=order, form=form)
    try:
        refunds = payments.refund_order(
            actor=request.actor,
            order=order,
            returned=form.returned(),
            reason=form.cleaned_data["reason"].strip(),
            idempotency_key=form.cleaned_data["key"],
        )
    except DomainError as error:
        form.add_error(None, _return_error(error))
        return panel(request, 422, order=order, form=form)
    order = order_here(request, order_id=order_id)
    paid_back = [(refund, refund.payment.get_method_display()) for refund in refunds]
    return panel(request, order=order, refunds=paid_back, refunded=sum(r.amount for r in refunds))
