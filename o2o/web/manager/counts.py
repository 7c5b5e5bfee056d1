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


# The shelf plan form's refusals by the field the service names (an unknown code: REFUSALS).
SHELF_REFUSALS = {
    "aisle": gettext_lazy("An aisle is 1 to 10 letters, digits or dashes, e.g. A3."),
    "sku_id": gettext_lazy("This store holds no stock of this product."),
}


class StartForm(forms.Form):
    category = forms.TypedChoiceField(label=gettext_lazy("Category"), coerce=int, required=False, empty_value=None)
    aisle = forms.ChoiceField(label=gettext_lazy("Aisle"), required=False)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=80)

    def __init__(self, *args, aisles: list[tuple[str, int]] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = [(c.pk, c.name) for c in categories()]
        self.fields["category"].choices = [("", _("Everything in the store")), *choices]
        self.fields["aisle"].choices = [("", _("Every aisle")),
                                        *((code, _("%(aisle)s (%(skus)d products)") % {"aisle": code, "skus": n})
                                          for code, n in aisles)]  # fmt: skip

    def clean(self) -> dict:
        data = super().clean()
        if data.get("category") is not None and data.get("aisle"):
            raise forms.ValidationError(_("Count one category or one aisle, not both."))
        return data


class AisleForm(forms.Form):
    """Shelve a product in an aisle of the store (the manager's shelf plan)."""

    code = forms.CharField(label=gettext_lazy("Barcode or SKU code"), max_length=selectors.MAX_CODE)
    aisle = forms.CharField(label=gettext_lazy("Aisle"), max_length=10, required=False,
                            help_text=gettext_lazy("e.g. A3; empty takes the product off the shelf plan"))  # fmt: skip


class ScanForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Barcode or SKU code"), max_length=selectors.MAX_CODE)
    quantity = forms.IntegerField(label=gettext_lazy("Quantity"), initial=1,
                                  min_value=-services.MAX_SCAN, max_value=services.MAX_SCAN)  # fmt: skip
    replace = forms.BooleanField(label=gettext_lazy("Set the count to this quantity"), required=False)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=80)


def _refusal(error: DomainError) -> str:
    return str(REFUSALS.get(error.code, error.message))


def _list(request: HttpRequest, scope, form: StartForm | None = None, aisle_form: AisleForm | None = None,
          status: int = 200) -> HttpResponse:  # fmt: skip
    """The counts page: the counts, the start form and, for the store's manager, the shelf plan form."""
    at = scope.location.pk
    counts = selectors.counts_at(actor=request.actor, location_id=at).select_related("category")
    page = Paginator(counts, COUNTS_PAGE).get_page(request.GET.get("page") or 1)
    aisles = selectors.aisles_at(actor=request.actor, location_id=at)
    if form is None and may(request.actor, Operation.START_STOCK_COUNT, location_id=at):
        form = StartForm(initial={"idempotency_key": new_token()[:40]}, aisles=aisles)
    if aisle_form is None and may(request.actor, Operation.SET_STOCK_AISLE, location_id=at):
        aisle_form = AisleForm()
    return render(request, "web/manager/counts/list.html",
                  {"scope": scope, "section": "counts", "page": page, "form": form, "aisle_form": aisle_form,
                   "aisles": aisles, "is_manager": request.actor.has_role(Role.STORE_MANAGER)},
                  status=status)  # fmt: skip


@staff_page(*COUNT_ROLES)
def count_list(request: HttpRequest) -> HttpResponse:
    return _list(request, store_scope(request))


@require_POST
@staff_page(*COUNT_ROLES)
@refusals_as_http
def start(request: HttpRequest) -> HttpResponse:
    scope = store_scope(request)
    aisles = selectors.aisles_at(actor=request.actor, location_id=scope.location.pk)
    form = StartForm(request.POST, aisles=aisles)
    if not form.is_valid():
        return _list(request, scope, form=form, status=422)
    try:
        count = services.start_count(actor=request.actor, location_id=scope.location.pk,
                                     category_id=form.cleaned_data["category"],
                                     aisle=form.cleaned_data["aisle"] or None, note=form.cleaned_data["note"],
                                     idempotency_key=form.cleaned_data["idempotency_key"])  # fmt: skip
    except DomainError as error:
        if error.code in (ErrorCode.FORBIDDEN, ErrorCode.NOT_FOUND):
            raise
        messages.error(request, _refusal(error))
        return redirect(reverse("web:manager-counts") + scope.suffix)
    return redirect(reverse("web:manager-count", args=[count["id"]]) + scope.suffix)


@require_POST
@staff_page(Role.STORE_MANAGER)
@refusals_as_http
def shelve(request: HttpRequest) -> HttpResponse:
    """Set a product's aisle at this store; a bad code or aisle is a form error on the page."""
    scope = store_scope(request)
    form = AisleForm(request.POST)
    if form.is_valid():
        try:
            sku = selectors.sku_by_code(form.cleaned_data["code"])
            shelved = services.set_aisle(actor=request.actor, location_id=scope.location.pk, sku_id=sku.pk,
                                         aisle=form.cleaned_data["aisle"])  # fmt: skip
        except DomainError as error:
            if error.code in (ErrorCode.FORBIDDEN, ErrorCode.NOT_FOUND):
                raise
            field = error.extra.get("field")
            form.add_error("aisle" if field == "aisle" else "code", str(SHELF_REFUSALS.get(field, _refusal(error))))
        else:
            messages.success(request, _("%(sku)s: aisle %(aisle)s.")
                             % {"sku": sku.code, "aisle": shelved["aisle"] or "—"})  # fmt: skip
            return redirect(reverse("web:manager-counts") + scope.suffix)
    return _list(request, scope, aisle_form=form, status=422)


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
