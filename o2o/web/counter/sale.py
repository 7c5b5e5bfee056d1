"""A sale at the counter: ring up items by barcode or search, then take cash, card or QR payment."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from o2o.catalog.models import Channel
from o2o.catalog.selectors import search_skus, sku_by_barcode
from o2o.core.codes import new_token
from o2o.core.errors import DomainError
from o2o.core.money import to_money
from o2o.orders.models import Fulfilment
from o2o.orders.services import OrderRequest
from o2o.payments.cash import change_due, record_cash_tendered
from o2o.web.counter import basket
from o2o.web.counter.checkout import sell
from o2o.web.counter.coupons import coupon_context
from o2o.web.counter.display import Customer
from o2o.web.counter.errors import explain
from o2o.web.counter.forms import BarcodeForm, LineForm, SaleCheckoutForm, SearchForm
from o2o.web.counter.pages import counter_page, is_htmx, respond

TEMPLATE = "web/counter/sale.html"
SEARCH_RESULTS = 20


def _context(request: HttpRequest, counter: basket.Counter, **extra) -> dict:
    priced = basket.price_basket(counter, request.store)
    return {
        "store": request.store,
        "basket": priced,
        "token": counter.token,
        "customer": Customer.of(counter.member()),
        "scan_form": BarcodeForm(),
        "search_form": SearchForm(),
        "checkout_form": SaleCheckoutForm(initial={"method": "cash"}),
        "back": "sale",
        **coupon_context(counter, request.location_id),
        **extra,
    }


@counter_page
def page(request: HttpRequest) -> HttpResponse:
    return render(request, TEMPLATE, _context(request, basket.load(request)))


def _basket_changed(request: HttpRequest, counter: basket.Counter, error: str | None, **extra) -> HttpResponse:
    """After a basket change: HTMX gets the basket partial; a plain form post goes back to the page."""
    basket.save(request, counter)
    if not is_htmx(request):
        if error:
            messages.error(request, error)
        return redirect("web:counter-sale")
    context = _context(request, counter, error=error, **extra)
    return respond(request, TEMPLATE, context, partial="basket_changed", status=422 if error else 200)


@counter_page
@require_POST
def scan(request: HttpRequest) -> HttpResponse:
    """A scanned or typed barcode adds one unit."""
    counter = basket.load(request)
    form = BarcodeForm(request.POST)
    error = sku = None
    if form.is_valid():
        try:
            sku = sku_by_barcode(form.cleaned_data["barcode"].strip())
            basket.sellable_sku(sku.pk, request.location_id)
            counter.add(sku.pk)
        except DomainError as exc:
            error = explain(exc, sku_names={sku.pk: sku.name} if sku else None)
    else:
        error = form.errors["barcode"][0]
    return _basket_changed(request, counter, error, scan_form=form if error else BarcodeForm(), focus_scan=True)


@counter_page
@require_POST
def line(request: HttpRequest) -> HttpResponse:
    """Add one unit of a SKU picked from the search, or set a line's quantity (0 takes it off)."""
    counter = basket.load(request)
    form = LineForm(request.POST)
    error = None
    if not form.is_valid():
        error = _("That quantity cannot be sold at the counter.")
    else:
        sku_id, quantity = form.cleaned_data["sku_id"], form.cleaned_data["quantity"]
        try:
            if form.cleaned_data["add"] or sku_id not in counter.lines:
                basket.sellable_sku(sku_id, request.location_id)
                counter.add(sku_id, 1 if form.cleaned_data["add"] or quantity is None else quantity)
            elif quantity is not None:
                counter.set_quantity(sku_id, quantity)
        except DomainError as exc:
            error = explain(exc)
    return _basket_changed(request, counter, error)


@counter_page
@require_POST
def clear(request: HttpRequest) -> HttpResponse:
    counter = basket.load(request)
    counter.lines = {}
    return _basket_changed(request, counter, None)


@counter_page
def search(request: HttpRequest) -> HttpResponse:
    """Products sold at the counter whose name matches, with this store's price and shelf stock."""
    form = SearchForm(request.GET)
    text = form.cleaned_data["q"].strip() if form.is_valid() else ""
    skus = list(search_skus(text=text, channel=Channel.POS).order_by("name")[:SEARCH_RESULTS]) if text else []
    prices = basket.counter_prices({s.pk for s in skus}, request.location_id)
    stock = basket.shelf_stock(request.store, set(prices))
    results = [(sku, prices[sku.pk], stock[sku.pk]) for sku in skus if sku.pk in prices]
    context = {"store": request.store, "results": results, "searched": text, "search_form": form}
    if not is_htmx(request):
        counter = basket.load(request)
        context = _context(request, counter, **context)
    return respond(request, TEMPLATE, context, partial="search_results")


def _short_of_cash(form: SaleCheckoutForm, priced: basket.PricedBasket) -> str | None:
    """Refuse before selling when the cash given does not cover the cash part of the sale."""
    tendered, due = form.cleaned_data["cash_tendered"], form.cash_due(priced.total)
    if tendered is None or not due:
        return None
    try:
        change_due(cash_due=due, tendered=tendered)
    except DomainError:
        figures = {"tendered": to_money(tendered), "due": to_money(due)}
        return _("The cash given (¥%(tendered)s) is less than the ¥%(due)s due.") % figures
    return None


def _note_cash(request: HttpRequest, order, tendered) -> None:
    """The sale stands either way: a figure that no longer covers the cash tender is left off the receipt."""
    try:
        record_cash_tendered(actor=request.actor, order=order, tendered=tendered)
    except DomainError:
        messages.warning(request, _("The cash given was less than the cash paid; no change is shown."))


@counter_page
@require_POST
def pay(request: HttpRequest) -> HttpResponse:
    """Place the basket as an in-store order and take the payment; then the receipt."""
    counter = basket.load(request)
    form = SaleCheckoutForm(request.POST)
    error = None
    if form.is_valid():
        token = form.cleaned_data["token"]
        if token in counter.sold:  # the second tap of a sale already rung up
            return redirect("web:counter-receipt", order_id=counter.sold[token])
        if not counter.lines:
            error = _("The basket is empty. Scan an item first.")
        elif token != counter.token:
            error = _("The basket changed in another window. Check it, then take payment again.")
        elif short := _short_of_cash(form, priced := basket.price_basket(counter, request.store)):
            error = short
        else:
            request_ = OrderRequest(
                channel=Channel.POS,
                fulfilment=Fulfilment.IN_STORE,
                fulfilment_location_id=request.location_id,
                lines=counter.line_requests(),
                coupon_ids=counter.coupon_ids,
            )
            try:
                order = sell(
                    actor=request.actor,
                    member=counter.member(),
                    request=request_,
                    method=form.cleaned_data["method"],
                    key=token,
                    member_code=form.cleaned_data["member_code"].strip(),
                    wallet_amount=form.cleaned_data["wallet_amount"],
                )
            except DomainError as exc:
                error = explain(exc, sku_names=priced.names)
                counter.token = new_token()  # nothing was sold under the old key; start afresh
            else:
                if form.cleaned_data["cash_tendered"] and form.cash_due(order.total):
                    _note_cash(request, order, form.cleaned_data["cash_tendered"])
                counter.finish(token, order.pk, basket_sold=True)
                basket.save(request, counter)
                return redirect("web:counter-receipt", order_id=order.pk)
    elif "method" in form.errors:
        error = _("Choose how the customer pays.")
    else:
        error = _("Check the payment code and the amount from stored value.")
    basket.save(request, counter)
    context = _context(request, counter, checkout_form=form, checkout_error=error)
    return render(request, TEMPLATE, context, status=422)
