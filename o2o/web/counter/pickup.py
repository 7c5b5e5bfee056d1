"""Verify a pickup code at the counter, hand the order over, and (managers) undo a mistaken hand-over."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_POST

from o2o.access.permissions import Operation, may
from o2o.core.errors import DomainError
from o2o.pickup import services as pickup
from o2o.pickup.codes import parse_short_number
from o2o.pickup.selectors import recent_redemptions
from o2o.web.counter.display import Customer
from o2o.web.counter.errors import pickup_error, undo_error
from o2o.web.counter.forms import PickupCodeForm, UndoForm
from o2o.web.counter.pages import counter_page, respond

TEMPLATE = "web/counter/pickup.html"


def _panel(request: HttpRequest, status: int = 200, **context) -> HttpResponse:
    """The pickup panel: the code form, what came of the last action, and recent hand-overs for whoever
    may undo one (the permission table: the store manager)."""
    may_undo = may(request.actor, Operation.UNDO_HAND_OVER, location_id=request.location_id)
    minutes = settings.O2O_VOUCHER_UNDO_MINUTES
    recent = recent_redemptions(location_id=request.location_id, within_minutes=minutes) if may_undo else []
    context = {
        "store": request.store,
        "form": PickupCodeForm(),
        "may_undo": may_undo,
        "recent": [(v, Customer.of(v.order.member)) for v in recent],
        "undo_minutes": minutes,
        **context,
    }
    return respond(request, TEMPLATE, context, partial="panel", status=status)


def _shown(voucher) -> dict:
    return {
        "voucher": voucher,
        "customer": Customer.of(voucher.order.member),
        "lines": voucher.order.lines.select_related("sku").order_by("pk"),
        "expired": voucher.expires_at <= timezone.now(),
    }


@counter_page
def page(request: HttpRequest) -> HttpResponse:
    return _panel(request)


@counter_page
@require_POST
def lookup(request: HttpRequest) -> HttpResponse:
    """Show what to hand over for a typed code or a scanned QR; changes nothing but the audit trail."""
    form = PickupCodeForm(request.POST)
    if not form.is_valid():
        return _panel(request, 422, form=form)
    code = form.cleaned_data["code"]
    try:
        voucher = pickup.verify_pickup_voucher(actor=request.actor, presented=code)
    except DomainError as error:
        return _panel(request, 422, form=form, error=pickup_error(error))
    # found by today's short number: handing over still takes the customer's code
    by_number = parse_short_number(code) is not None
    return _panel(request, form=form, code=code, by_number=by_number, **_shown(voucher))


@counter_page
@require_POST
def redeem(request: HttpRequest) -> HttpResponse:
    """Hand the goods over: the code is used once, by whichever clerk confirms first."""
    form = PickupCodeForm(request.POST)
    if not form.is_valid():
        return _panel(request, 422, form=form)
    try:
        voucher = pickup.redeem_pickup_voucher(actor=request.actor, presented=form.cleaned_data["code"])
    except DomainError as error:
        return _panel(request, 422, form=form, error=pickup_error(error))
    return _panel(request, handed_over=voucher, customer=Customer.of(voucher.order.member))


@counter_page
@require_POST
def undo(request: HttpRequest, voucher_id: int) -> HttpResponse:
    form = UndoForm(request.POST)
    if not form.is_valid():
        return _panel(request, 422, error=form.errors["reason"][0])
    try:
        voucher = pickup.undo_redemption(actor=request.actor, voucher_id=voucher_id, reason=form.cleaned_data["reason"])
    except DomainError as error:
        return _panel(request, 422, error=undo_error(error))
    return _panel(request, undone=voucher)
