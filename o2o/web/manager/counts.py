"""Stocktakes at a store (/manager/counts/, docs/stocktakes.md): start a count, count by scanning
on a phone, hand it in, and the manager approves or sends it back. Writes call
o2o.stocktakes.services, as the API does."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from o2o.access.permissions import Operation, may
from o2o.catalog.selectors import categories
from o2o.core.codes import new_token
from o2o.core.errors import DomainError, ErrorCode
from o2o.staff.models import Role
from o2o.stocktakes import selectors, services
from o2o.stocktakes.models import CountState
from o2o.web.auth import refusals_as_http, staff_page
from o2o.web.htmx import is_htmx
from o2o.web.manager.scope import store_scope

COUNT_ROLES = (Role.STORE_MANAGER, Role.WAREHOUSE_CLERK, Role.CLERK)
COUNTS_PAGE = 30

# What a refused step means to the person holding the phone.
REFUSALS = {
    ErrorCode.CONFLICT: gettext_lazy("A count is already open at this store."),
    ErrorCode.ILLEGAL_TRANSITION: gettext_lazy("This count has moved on: reload the page."),
    ErrorCode.UNKNOWN_SKU: gettext_lazy("No product has this barcode or code."),
    ErrorCode.INSUFFICIENT_STOCK: gettext_lazy(
        "A counted quantity is below the units reserved for orders: send the count back and recount it."
    ),
    ErrorCode.IDEMPOTENCY_CONFLICT: gettext_lazy("This form was already used. Reload it."),
}


class StartForm(forms.Form):
    category = forms.TypedChoiceField(label=gettext_lazy("Category"), coerce=int, required=False, empty_value=None)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=80)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = [(c.pk, c.name) for c in categories()]
        self.fields["category"].choices = [("", _("Everything in the store")), *choices]


class ScanForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Barcode or SKU code"), max_length=services.MAX_CODE)
    quantity = forms.IntegerField(label=gettext_lazy("Quantity"), initial=1,
                                  min_value=-services.MAX_SCAN, max_value=services.MAX_SCAN)  # fmt: skip
    replace = forms.BooleanField(label=gettext_lazy("Set the count to this quantity"), required=False)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=80)


def _refusal(error: DomainError) -> str:
    return str(REFUSALS.get(error.code, error.message))


@staff_page(*COUNT_ROLES)
def count_list(request: HttpRequest) -> HttpResponse:
    scope = store_scope(request)
    counts = selectors.counts_at(actor=request.actor, location_id=scope.location.pk).select_related("category")
    page = Paginator(counts, COUNTS_PAGE).get_page(request.GET.get("page") or 1)
    may_start = may(request.actor, Operation.START_STOCK_COUNT, location_id=scope.location.pk)
    form = StartForm(initial={"idempotency_key": new_token()[:40]}) if may_start else None
    return render(request, "web/manager/counts/list.html",
                  {"scope": scope, "section": "counts", "page": page, "form": form,
                   "is_manager": request.actor.has_role(Role.STORE_MANAGER)})  # fmt: skip


@require_POST
@staff_page(*COUNT_ROLES)
@refusals_as_http
def start(request: HttpRequest) -> HttpResponse:
    scope = store_scope(request)
    form = StartForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a category from the list, and a note of at most 200 characters."))
        return redirect(reverse("web:manager-counts") + scope.suffix)
    try:
        count = services.start_count(actor=request.actor, location_id=scope.location.pk,
                                     category_id=form.cleaned_data["category"], note=form.cleaned_data["note"],
                                     idempotency_key=form.cleaned_data["idempotency_key"])  # fmt: skip
    except DomainError as error:
        if error.code in (ErrorCode.FORBIDDEN, ErrorCode.NOT_FOUND):
            raise
        messages.error(request, _refusal(error))
        return redirect(reverse("web:manager-counts") + scope.suffix)
    return redirect(reverse("web:manager-count", args=[count["id"]]) + scope.suffix)


def _sheet(request: HttpRequest, count_id: int, scan_form: ScanForm | None = None, **extra) -> dict:
    """The count page's context: the variance report and the actions this person may take."""
    report = selectors.variance_report(actor=request.actor, count_id=count_id)
    count, at = report.count, report.count.location_id
    counting, submitted = count.state == CountState.COUNTING, count.state == CountState.SUBMITTED
    may_scan = counting and may(request.actor, Operation.SCAN_STOCK_COUNT, location_id=at)
    return {
        "report": report,
        "count": count,
        "scan_form": scan_form or (ScanForm(initial={"idempotency_key": new_token()[:40]}) if may_scan else None),
        "may_submit": may_scan,
        "may_decide": submitted and may(request.actor, Operation.APPROVE_STOCK_COUNT, location_id=at),
        "may_cancel": (counting or submitted) and may(request.actor, Operation.START_STOCK_COUNT, location_id=at),
        "form_key": new_token()[:40],
        **extra,
    }


@staff_page(*COUNT_ROLES)
@refusals_as_http
def count_page(request: HttpRequest, count_id: int) -> HttpResponse:
    scope = store_scope(request)
    context = _sheet(request, count_id)
    if context["count"].location_id != scope.location.pk:
        raise Http404
    return render(request, "web/manager/counts/count.html", {"scope": scope, "section": "counts", **context,
                  "is_manager": request.actor.has_role(Role.STORE_MANAGER)})  # fmt: skip


@require_POST
@staff_page(*COUNT_ROLES)
@refusals_as_http
def scan(request: HttpRequest, count_id: int) -> HttpResponse:
    """One scan: HTMX swaps the sheet (a fresh form, focused for the next scan); without
    JavaScript it redirects back to the count."""
    scope = store_scope(request)
    form = ScanForm(request.POST)
    scanned = None
    if form.is_valid():
        try:
            scanned = services.record_scan(actor=request.actor, count_id=count_id, code=form.cleaned_data["code"],
                                           quantity=form.cleaned_data["quantity"],
                                           replace=form.cleaned_data["replace"],
                                           idempotency_key=form.cleaned_data["idempotency_key"])  # fmt: skip
        except DomainError as error:
            if error.code in (ErrorCode.FORBIDDEN, ErrorCode.NOT_FOUND):
                raise
            form.add_error(error.extra.get("field") if error.extra.get("field") in form.fields else None,
                           _refusal(error))  # fmt: skip
    if is_htmx(request):
        context = _sheet(request, count_id, scan_form=None if scanned else form, scanned=scanned)
        return render(request, "web/manager/counts/count.html#sheet", {"scope": scope, **context})
    if scanned:
        messages.success(request, _("%(sku)s: %(counted)d counted.")
                         % {"sku": scanned["sku_code"], "counted": scanned["counted_quantity"]})  # fmt: skip
        return redirect(reverse("web:manager-count", args=[count_id]) + scope.suffix)
    context = _sheet(request, count_id, scan_form=form)
    return render(request, "web/manager/counts/count.html", {"scope": scope, "section": "counts", **context},
                  status=422)  # fmt: skip


STEPS = {
    "submit": (services.submit_count, gettext_lazy("The count was handed in for approval.")),
    "send-back": (services.send_back_count, gettext_lazy("The count was sent back for a recount.")),
    "cancel": (services.cancel_count, gettext_lazy("The count was cancelled; the book is unchanged.")),
    "approve": (None, gettext_lazy("The count was approved and its differences posted to the stock book.")),
}


@require_POST
@staff_page(*COUNT_ROLES)
@refusals_as_http
def step(request: HttpRequest, count_id: int, action: str) -> HttpResponse:
    scope = store_scope(request)
    if action not in STEPS:
        raise Http404
    service, done = STEPS[action]
    try:
        if service is None:
            key = (request.POST.get("idempotency_key") or "")[:80] or None
            services.approve_count(actor=request.actor, count_id=count_id, idempotency_key=key)
        else:
            service(actor=request.actor, count_id=count_id)
    except DomainError as error:
        if error.code in (ErrorCode.FORBIDDEN, ErrorCode.NOT_FOUND):
            raise
        messages.error(request, _refusal(error))
    else:
        messages.success(request, str(done))
    return redirect(reverse("web:manager-count", args=[count_id]) + scope.suffix)
