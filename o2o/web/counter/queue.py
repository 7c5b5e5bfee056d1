"""The store's preparation queue on the clerk's phone (docs/preparation.md): orders to prepare,
in progress and ready, oldest due first; accept, pick by scanning or by button, report what is
missing, mark ready (pickup) or packed (delivery). A badge in the counter nav polls the number
of orders waiting (one COUNT) and counter-queue.js beeps when it rises."""

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from o2o.core.codes import new_token
from o2o.core.errors import DomainError, ErrorCode
from o2o.core.idempotency import MAX_KEY_LENGTH
from o2o.preparation import selectors, services
from o2o.preparation.models import PreparationState
from o2o.web.auth import raise_if_refusal, refusals_as_http
from o2o.web.counter.errors import explain
from o2o.web.counter.pages import counter_page, respond
from o2o.web.htmx import is_htmx

TEMPLATE = "web/counter/queue.html"
COLUMNS = (
    ("waiting", PreparationState.TO_PREPARE),
    ("working", PreparationState.ACCEPTED),
    ("done", None),  # ready (pickup) and packed (delivery)
)


class PickForm(forms.Form):
    code = forms.CharField(max_length=services.MAX_CODE, required=False)
    sku_id = forms.IntegerField(min_value=1, required=False)
    quantity = forms.IntegerField(min_value=-999, max_value=999, initial=1)
    # new on every render of the board: a tap sent twice (a retry, a double tap) counts once
    key = forms.CharField(max_length=MAX_KEY_LENGTH, required=False)


class ShortageForm(forms.Form):
    line_id = forms.IntegerField(min_value=1)
    available = forms.IntegerField(min_value=0, max_value=1_000_000)


def _board(request: HttpRequest, *, status: int = 200, error: str = "", focus: int | None = None) -> HttpResponse:
    rows = list(selectors.queue(actor=request.actor, location_id=request.location_id))
    columns = {name: [] for name, _state in COLUMNS}
    for row in rows:
        name = {PreparationState.TO_PREPARE: "waiting", PreparationState.ACCEPTED: "working"}.get(row.state, "done")
        columns[name].append(row)
    context = {"store": request.store, "columns": columns, "error": error, "focus": focus,
               "waiting_count": len(columns["waiting"]), "form_key": new_token()[:40]}  # fmt: skip
    return respond(request, TEMPLATE, context, partial="board", status=status)


def _error(error: DomainError) -> str:
    if error.code == ErrorCode.ILLEGAL_TRANSITION and "lines" in error.extra:
        return _("Pick every line or report what is missing first.")
    if error.code == ErrorCode.ILLEGAL_TRANSITION:
        return _("Someone else changed this order meanwhile; the list is up to date now.")
    if error.code == ErrorCode.INVALID and "ordered" in error.extra:
        return _("That is more than the order needs.")
    if error.code in (ErrorCode.INVALID, ErrorCode.UNKNOWN_SKU) and error.extra.get("field") == "code":
        return _("This item is not on the order. Check the barcode.")
    if error.code == ErrorCode.CONFLICT:
        return _("What is missing was reported already for this line.")
    return explain(error)


def _after(request: HttpRequest, preparation_id: int, step) -> HttpResponse:
    try:
        step()
    except DomainError as error:
        raise_if_refusal(error)
        return _board(request, status=422, error=_error(error), focus=preparation_id)
    if not is_htmx(request):
        return redirect("web:counter-queue")
    return _board(request, focus=preparation_id)


@counter_page
def page(request: HttpRequest) -> HttpResponse:
    return _board(request)


@counter_page
def badge(request: HttpRequest) -> HttpResponse:
    """The nav badge, polled every 10 s: one COUNT of the orders nobody accepted yet."""
    count = selectors.waiting_count(location_id=request.location_id)
    return render(request, "web/counter/queue_badge.html", {"waiting_count": count})


@counter_page
@require_POST
@refusals_as_http
def accept(request: HttpRequest, preparation_id: int) -> HttpResponse:
    return _after(request, preparation_id,
                  lambda: services.accept_preparation(actor=request.actor, preparation_id=preparation_id))  # fmt: skip


@counter_page
@require_POST
@refusals_as_http
def pick(request: HttpRequest, preparation_id: int) -> HttpResponse:
    form = PickForm(request.POST)
    if (
        not form.is_valid()
        or not (form.cleaned_data["code"] or form.cleaned_data["sku_id"])
        or not form.cleaned_data["quantity"]
    ):
        return _board(request, status=422, error=_("Scan a barcode or tap an item."), focus=preparation_id)
    data = form.cleaned_data
    return _after(request, preparation_id, lambda: services.pick_line(
        actor=request.actor, preparation_id=preparation_id, quantity=data["quantity"],
        code=data["code"] or None, sku_id=None if data["code"] else data["sku_id"], idempotency_key=data["key"] or None,
    ))  # fmt: skip


@counter_page
@require_POST
@refusals_as_http
def shortage(request: HttpRequest, preparation_id: int) -> HttpResponse:
    form = ShortageForm(request.POST)
    if not form.is_valid():
        return _board(request, status=422, error=_("Enter how many units the shelf has."), focus=preparation_id)
    data = form.cleaned_data
    return _after(request, preparation_id, lambda: services.report_shortage(
        actor=request.actor, preparation_id=preparation_id, line_id=data["line_id"], available=data["available"],
    ))  # fmt: skip


@counter_page
@require_POST
@refusals_as_http
def ready(request: HttpRequest, preparation_id: int) -> HttpResponse:
    return _after(request, preparation_id,
                  lambda: services.mark_ready(actor=request.actor, preparation_id=preparation_id))  # fmt: skip


@counter_page
@require_POST
@refusals_as_http
def packed(request: HttpRequest, preparation_id: int) -> HttpResponse:
    return _after(request, preparation_id,
                  lambda: services.mark_packed(actor=request.actor, preparation_id=preparation_id))  # fmt: skip
