"""The store manager's pages: stock (with adjustments), incoming transfers, orders and staff of one store."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from o2o.access.permissions import Operation, may
from o2o.core.codes import new_token
from o2o.core.errors import DomainError, ErrorCode
from o2o.inventory import selectors as stock
from o2o.inventory import services as inventory
from o2o.inventory.models import HAND_ADJUSTMENT_REASONS
from o2o.orders.selectors import matching_orders, orders_for
from o2o.staff.models import Role
from o2o.staff.selectors import employees_at
from o2o.web.auth import staff_page
from o2o.web.htmx import is_htmx
from o2o.web.manager.forms import AdjustmentForm, OrderFilterForm, StockFilterForm
from o2o.web.manager.join_links import join_url, qr_data_uri
from o2o.web.manager.scope import StoreScope, store_scope

MANAGER_ROLES = (Role.STORE_MANAGER, Role.WAREHOUSE_CLERK)
STOCK_PAGE = 50
ORDERS_PAGE = 30


def page_context(request: HttpRequest, scope: StoreScope, section: str, **extra) -> dict:
    """What every manager page shows; the actions offered are the ones the permission table allows.

    `form_key` is new on every render: each form built from it sends its own idempotency key
    (`<form_key>-<row>`), so submitting the same form twice moves stock once."""
    actor, at = request.actor, scope.location.pk
    return {
        "scope": scope,
        "section": section,
        "is_manager": actor.has_role(Role.STORE_MANAGER),
        "may_adjust": may(actor, Operation.ADJUST_STOCK, location_id=at),
        "may_receive": may(actor, Operation.RECEIVE_TRANSFER, location_id=at),
        "form_key": new_token()[:40],
        "adjustment_reasons": HAND_ADJUSTMENT_REASONS,
        **extra,
    }


def _idempotency_key(request: HttpRequest) -> str | None:
    return request.POST.get("idempotency_key") or None


@staff_page(*MANAGER_ROLES)
def stock_list(request: HttpRequest) -> HttpResponse:
    """The store's stock by SKU code; HTMX swaps the table when the filter changes, or appends the next page."""
    scope = store_scope(request)
    filters = StockFilterForm(request.GET)
    values = filters.cleaned_data if filters.is_valid() else {}
    levels = stock.stock_list_at(
        location_id=scope.location.pk, search=values.get("q") or "", low_only=values.get("low") or False
    )
    page = Paginator(levels, STOCK_PAGE).get_page(values.get("page") or 1)
    carried = request.GET.copy()
    carried.pop("page", None)
    if scope.explicit:
        carried["location"] = scope.location.pk
    context = page_context(request, scope, "stock", filters=filters, page=page, carried=carried.urlencode())
    template = "web/manager/stock.html"
    if is_htmx(request):
        template += "#stock-page" if page.number > 1 else "#stock-table"
    return render(request, template, context)


# What a refused adjustment means to the person at the form: (field, message).
ADJUSTMENT_ERRORS = {
    ErrorCode.INSUFFICIENT_STOCK: (
        "delta",
        gettext_lazy("Not enough free stock: some units are reserved or not on hand."),
    ),
    ErrorCode.INVALID: (None, gettext_lazy("An adjustment needs a change other than zero and a reason.")),
    ErrorCode.FORBIDDEN: (None, gettext_lazy("Your role may not change stock at this store.")),
    ErrorCode.IDEMPOTENCY_CONFLICT: (None, gettext_lazy("This form was already used for another change. Reload it.")),
}


@staff_page(*MANAGER_ROLES)
def stock_adjust(request: HttpRequest, sku_id: int) -> HttpResponse:
    """One SKU's row with its adjustment form: HTMX swaps the row in place; without JavaScript it is a page."""
    scope = store_scope(request)
    try:
        level = stock.stock_level_at(location_id=scope.location.pk, sku_id=sku_id)
    except DomainError as error:
        raise Http404 from error
    form = AdjustmentForm(request.POST or None, auto_id=f"id_%s_{sku_id}")
    saved, refused = False, False
    if request.method == "POST" and form.is_valid():
        try:
            inventory.adjust_stock(
                actor=request.actor,
                location_id=scope.location.pk,
                sku_id=sku_id,
                delta=form.cleaned_data["delta"],
                reason=form.cleaned_data["reason"],
                reason_code=form.cleaned_data["reason_code"],
                idempotency_key=form.cleaned_data["idempotency_key"] or None,
            )
            level = stock.stock_level_at(location_id=scope.location.pk, sku_id=sku_id)
        except DomainError as error:
            refused = error.code == ErrorCode.FORBIDDEN
            form.add_error(*ADJUSTMENT_ERRORS.get(error.code, (None, _("The stock could not be changed."))))
        else:
            saved = True
    change = form.cleaned_data.get("delta") if saved else None
    if saved:
        form = AdjustmentForm(auto_id=f"id_%s_{sku_id}")
    context = page_context(request, scope, "stock", level=level, form=form, saved=saved, change=change, open=not saved)
    if is_htmx(request):
        # 200 even for a refused form: htmx swaps only 2xx responses, and the row shows the errors.
        return render(request, "web/manager/stock.html#stock-row", context)
    if saved:
        messages.success(
            request, _("Stock of %(sku)s changed by %(delta)+d.") % {"sku": level.sku.code, "delta": change}
        )
        return redirect(reverse("web:manager-stock") + scope.suffix)
    status = 403 if refused else 422 if form.errors else 200  # a refusal answers as the API does
    return render(request, "web/manager/adjust.html", context, status=status)


HISTORY_PAGE = 50


@staff_page(*MANAGER_ROLES)
def stock_history(request: HttpRequest, sku_id: int) -> HttpResponse:
    """One product's stock ledger at the store, newest first: what moved, by whom and why."""
    scope = store_scope(request)
    try:
        level = stock.stock_level_at(location_id=scope.location.pk, sku_id=sku_id)
    except DomainError as error:
        raise Http404 from error
    moves = stock.moves_of(location_id=scope.location.pk, sku_id=sku_id).select_related("actor")
    page = Paginator(moves, HISTORY_PAGE).get_page(request.GET.get("page") or 1)
    context = page_context(request, scope, "stock", level=level, page=page)
    return render(request, "web/manager/stock_history.html", context)


@staff_page(*MANAGER_ROLES)
def transfer_list(request: HttpRequest) -> HttpResponse:
    scope = store_scope(request)
    transfers = stock.incoming_transfers_with_lines(location_id=scope.location.pk)
    return render(request, "web/manager/transfers.html", page_context(request, scope, "transfers", transfers=transfers))


TRANSFER_ERRORS = {
    ErrorCode.ILLEGAL_TRANSITION: gettext_lazy("This transfer was already received."),
    ErrorCode.FORBIDDEN: gettext_lazy("Your role may not receive transfers at this store."),
}


@require_POST
@staff_page(*MANAGER_ROLES)
def transfer_receive(request: HttpRequest, transfer_id: int) -> HttpResponse:
    """The goods of a transfer arrived: book them into this store's stock, exactly once."""
    scope = store_scope(request)
    try:
        transfer = stock.transfer_for(transfer_id=transfer_id)
    except DomainError as error:
        raise Http404 from error
    if transfer.destination_id != scope.location.pk:
        raise Http404
    error_message = ""
    try:
        inventory.receive_transfer(
            actor=request.actor, transfer_id=transfer_id, idempotency_key=_idempotency_key(request)
        )
        transfer.refresh_from_db()
    except DomainError as error:
        transfer.refresh_from_db()
        error_message = TRANSFER_ERRORS.get(error.code, _("The transfer could not be received."))
    if is_htmx(request):
        context = page_context(request, scope, "transfers", transfer=transfer, error=error_message)
        return render(request, "web/manager/transfers.html#transfer", context)
    if error_message:
        messages.error(request, error_message)
    else:
        messages.success(request, _("Transfer %(number)s received; its goods are in stock.") % {"number": transfer.pk})
    return redirect(reverse("web:manager-transfers") + scope.suffix)


@staff_page(*MANAGER_ROLES)
def order_list(request: HttpRequest) -> HttpResponse:
    """The store's orders, newest first, by state, number or phone and days placed; "more" appends
    the next orders (keyset on the id)."""
    scope = store_scope(request)
    filters = OrderFilterForm(request.GET)
    orders, more = [], False
    if filters.is_valid():
        data = filters.cleaned_data
        state, before = data["state"], data["before"]
        found = matching_orders(
            orders_for(actor=request.actor, state=state or None, location_id=scope.location.pk),
            text=data["q"],
            placed_from=data["placed_from"],
            placed_to=data["placed_to"],
        )
        if before:
            found = found.filter(pk__lt=before)
        orders = list(found[: ORDERS_PAGE + 1])
        more, orders = len(orders) > ORDERS_PAGE, orders[:ORDERS_PAGE]
    context = page_context(request, scope, "orders", filters=filters, orders=orders, more=more)
    if is_htmx(request):
        part = "#order-rows" if request.GET.get("before") else "#order-list"
        return render(request, "web/manager/orders.html" + part, context)
    return render(request, "web/manager/orders.html", context, status=422 if filters.errors else 200)


@staff_page(*MANAGER_ROLES)
def staff_list(request: HttpRequest) -> HttpResponse:
    """Everyone working at the store, each with the store-join QR code that credits new members to them."""
    scope = store_scope(request)
    people = []
    for employee in employees_at(location_ids=frozenset({scope.location.pk})):
        url = join_url(store_code=scope.location.code, employee_code=employee.code, request=request)
        people.append({"employee": employee, "join_url": url, "qr": qr_data_uri(url) if employee.is_active else ""})
    return render(request, "web/manager/staff.html", page_context(request, scope, "staff", people=people))
