"""Endless aisle: this store lacks some items, so the clerk orders them from another location for the customer.

The clerk gathers the lines of one order in an aisle list kept in the session (as basket.py keeps the
sale), all from one source location, since one order has one fulfilling location; then places the
whole list as one order and takes the payment here.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from o2o.catalog.models import SKU, Channel
from o2o.catalog.selectors import search_skus, skus_by_id
from o2o.core.codes import new_token
from o2o.core.errors import DomainError, ErrorCode
from o2o.inventory.selectors import available_to_promise, nearby_supply
from o2o.orders.models import Fulfilment
from o2o.orders.services import OrderRequest
from o2o.pricing import cart as pricing
from o2o.stores.models import Location
from o2o.stores.selectors import locations_within
from o2o.web.counter import basket
from o2o.web.counter.checkout import sell
from o2o.web.counter.display import Customer
from o2o.web.counter.errors import explain
from o2o.web.counter.forms import AisleLineForm, AisleOrderForm, AisleSearchForm
from o2o.web.counter.pages import counter_page, respond

TEMPLATE = "web/counter/aisle.html"
SESSION_KEY = "o2o_counter_aisle"
SEARCH_RESULTS = 20
RADIUS_KM = 50.0
SOURCES_SHOWN = 10


@dataclass
class AisleList(basket.Counter):
    """The lines of the order from another location, with the one location they all come from.

    Lines, their limits and the idempotency key work as in the sale basket (basket.Counter); the
    customer and the tokens of orders already sold stay on the counter itself (basket.load), so the
    list stores only its lines, its source and its key. The key changes with every change of the list:
    a key always stands for one content, and a second tap on "Take payment" replays that order.
    """

    source_id: int | None = None

    def changed(self) -> None:
        if not self.lines:
            self.source_id = None
        self.token = new_token()


def load_list(request: HttpRequest) -> AisleList:
    data = request.session.get(SESSION_KEY) or {}
    if data.get("location_id") != request.location_id:
        return AisleList(location_id=request.location_id)
    return AisleList(
        location_id=request.location_id,
        lines={int(sku_id): int(quantity) for sku_id, quantity in data.get("lines", {}).items()},
        token=data.get("token") or new_token(),
        source_id=data.get("source_id"),
    )


def save_list(request: HttpRequest, aisle: AisleList) -> None:
    request.session[SESSION_KEY] = {
        "location_id": aisle.location_id,
        "lines": {str(sku_id): quantity for sku_id, quantity in aisle.lines.items()},
        "token": aisle.token,
        "source_id": aisle.source_id,
    }


@dataclass(frozen=True)
class Source:
    location: Location
    distance_km: float
    available: int

    @property
    def offers_pickup(self) -> bool:
        return self.location.kind == Location.Kind.STORE and self.location.pickup_enabled


def other_sources(store: Location, sku_id: int, quantity: int) -> list[Source]:
    """Other locations within reach that can supply the whole quantity, nearest first.

    What each location offers is counted as for an online order (online=True): another store's shelf
    serves its own walk-in customers, and the safety buffer that keeps online orders from emptying it
    should hold for a remote counter too; warehouses keep no buffer, and a location closed to remote
    orders offers nothing. The order itself is placed on the POS channel, which reserves without a
    buffer, so every unit offered here can really be reserved (unless someone buys it meanwhile).
    """
    supplies = nearby_supply(
        latitude=store.latitude,
        longitude=store.longitude,
        wanted={sku_id: quantity},
        radius_km=RADIUS_KM,
        limit=SOURCES_SHOWN + 1,
        online=True,
        only_complete=True,
    )
    return [
        Source(s.nearby.location, s.nearby.distance_km, s.available[sku_id])
        for s in supplies
        if s.nearby.location.pk != store.pk
    ][:SOURCES_SHOWN]


def source_offer(store: Location, source_id: int, sku_ids: set[int]) -> tuple[Location, dict[int, int]] | None:
    """The source location and what it offers of each SKU (counted as other_sources does), or None
    when it is this store or out of reach."""
    near = locations_within(latitude=store.latitude, longitude=store.longitude, radius_km=RADIUS_KM)
    source = next((n.location for n in near if n.location.pk == source_id and source_id != store.pk), None)
    if source is None:
        return None
    promise = available_to_promise(locations=[source], sku_ids=sku_ids, online=True)
    return source, {sku_id: promise.get((source_id, sku_id), 0) for sku_id in sku_ids}


@dataclass(frozen=True)
class Chosen:
    sku: SKU
    quantity: int
    unit_price: Decimal
    here: int
    sources: list[Source]


def _chosen(request: HttpRequest, sku_id: int, quantity: int) -> Chosen:
    sku = skus_by_id({sku_id})[sku_id]
    price = basket.counter_prices({sku_id}, request.location_id).get(sku_id)
    if price is None or not sku.is_sold_on(Channel.POS):
        raise DomainError(ErrorCode.NO_PRICE, "no counter price", sku_ids=[sku_id])
    here = basket.shelf_stock(request.store, {sku_id})[sku_id]
    return Chosen(sku, quantity, price, here, other_sources(request.store, sku_id, quantity))


@dataclass(frozen=True)
class ListLine:
    sku: SKU
    quantity: int
    unit_price: Decimal
    available: int  # what the source offers
    discounts: tuple[pricing.Discount, ...] = ()

    @property
    def short(self) -> bool:
        return self.quantity > self.available


@dataclass(frozen=True)
class PricedList:
    source: Location | None  # None: out of reach now (or closed to remote orders)
    lines: list[ListLine]
    total: Decimal  # payable for a pickup (pricing.price_cart, the customer's benefits included)
    delivery_total: Decimal  # payable for a delivery (with its fee)
    names: dict[int, str] = field(default_factory=dict)


def price_list(request: HttpRequest, aisle: AisleList) -> PricedList | None:
    """The list with today's counter prices and the source's stock; lines no longer sold are dropped."""
    try:
        skus = skus_by_id(set(aisle.lines))
    except DomainError as error:
        for sku_id in error.extra.get("sku_ids", []):
            aisle.lines.pop(sku_id, None)
        skus = skus_by_id(set(aisle.lines))
    prices = basket.counter_prices(set(skus), request.location_id)
    for sku_id in set(aisle.lines) - prices.keys():
        aisle.lines.pop(sku_id)
    if not aisle.lines or aisle.source_id is None:
        return None
    offer = source_offer(request.store, aisle.source_id, set(aisle.lines))
    source, available = offer if offer else (None, {})
    member = basket.load(request).member()
    priced = {
        fulfilment: pricing.price_cart(
            lines=[pricing.CartLine(sku_id, quantity) for sku_id, quantity in aisle.lines.items()],
            channel=Channel.POS,
            location_id=request.location_id,
            member=member,
            fulfilment=fulfilment,
            prices=prices,
            skus=skus,
        )
        for fulfilment in (Fulfilment.PICKUP, Fulfilment.DELIVERY)
    }
    pickup, delivery = priced[Fulfilment.PICKUP], priced[Fulfilment.DELIVERY]
    lines = [
        ListLine(skus[p.sku_id], p.quantity, p.unit_price, available.get(p.sku_id, 0), p.discounts)
        for p in pickup.lines
    ]
    return PricedList(source, lines, pickup.payable, delivery.payable, {s.pk: s.name for s in skus.values()})


def _context(request: HttpRequest, search: AisleSearchForm, **extra) -> dict:
    data = search.cleaned_data if search.is_valid() else {}
    text, sku_id, quantity = (data.get("q") or "").strip(), data.get("sku"), data.get("quantity") or 1
    results = []
    if text:
        skus = list(search_skus(text=text, channel=Channel.POS).order_by("name")[:SEARCH_RESULTS])
        prices = basket.counter_prices({s.pk for s in skus}, request.location_id)
        results = [(sku, prices[sku.pk]) for sku in skus if sku.pk in prices]
    chosen = error = None
    if sku_id:
        try:
            chosen = _chosen(request, sku_id, quantity)
        except DomainError as exc:
            error = explain(exc)
    aisle = load_list(request)
    return {
        "store": request.store,
        "search_form": search,
        "searched": text,
        "results": results,
        "chosen": chosen,
        "error": error,
        "customer": Customer.of(basket.load(request).member()),
        "back": "aisle",
        "aisle": price_list(request, aisle),
        "line_form": AisleLineForm(initial={"location_id": aisle.source_id}),
        "order_form": AisleOrderForm(initial={"method": "cash", "fulfilment": Fulfilment.DELIVERY}),
        "token": aisle.token,
        **extra,
    }


def _again(request: HttpRequest, status: int = 422, **extra) -> HttpResponse:
    """The page again after a refused post, the chosen item still shown."""
    search = AisleSearchForm({"sku": request.POST.get("sku_id"), "quantity": request.POST.get("quantity") or 1})
    return respond(request, TEMPLATE, _context(request, search, **extra), partial="main", status=status)


@counter_page
def page(request: HttpRequest) -> HttpResponse:
    """Search a product, see which other locations have it, add it to the list; the list and its payment."""
    context = _context(request, AisleSearchForm(request.GET))
    return respond(request, TEMPLATE, context, partial="main")


def _change(request: HttpRequest, aisle: AisleList, form: AisleLineForm) -> None:
    """Apply the form to the list, or put on the form why not (and leave the list as it was)."""
    sku_id, quantity, adding = (form.cleaned_data[k] for k in ("sku_id", "quantity", "add"))
    source_id = form.cleaned_data["location_id"] if adding else aisle.source_id
    if not adding and sku_id not in aisle.lines:
        form.add_error(None, _("This item is not in the order any more. Reload the page."))
        return
    if adding and aisle.source_id is not None and source_id != aisle.source_id:
        offer = source_offer(request.store, aisle.source_id, set())
        place = offer[0].name if offer else _("another location")
        form.add_error(
            "location_id",
            _(
                "One order comes from one location, and this order's items come from %(place)s. "
                "Place it, or remove its items, before ordering from another location."
            )
            % {"place": place},
        )
        return
    if source_id == request.location_id:
        form.add_error("location_id", _("This is your own store: ring it up as a sale instead."))
        return
    total = aisle.lines.get(sku_id, 0) + quantity if adding else quantity
    try:
        if adding:
            basket.sellable_sku(sku_id, request.location_id)
        offer = source_offer(request.store, source_id, {sku_id}) if total else None
        if total and offer is None:
            form.add_error("location_id", _("This location cannot fill this order (no pickup there, or closed)."))
            return
        if offer and total > offer[1][sku_id]:
            figures = {"place": offer[0].name, "available": offer[1][sku_id], "wanted": total}
            form.add_error(
                "quantity",
                _("%(place)s can supply only %(available)s of this item; the order would need %(wanted)s.") % figures,
            )
            return
        if adding:
            aisle.add(sku_id, quantity)
        else:
            aisle.set_quantity(sku_id, quantity)
    except DomainError as exc:
        form.add_error(None, explain(exc))
        return
    aisle.source_id = source_id
    aisle.changed()


@counter_page
@require_POST
def line(request: HttpRequest) -> HttpResponse:
    """Add a chosen item from a source location to the list, or change a line's quantity (0 removes it)."""
    aisle = load_list(request)
    form = AisleLineForm(request.POST)
    if form.is_valid():
        _change(request, aisle, form)
    if not form.is_valid():  # nothing changes: the list in the session stays as it was
        return _again(request, line_form=form)
    save_list(request, aisle)
    return redirect("web:counter-aisle")


@counter_page
@require_POST
def order(request: HttpRequest) -> HttpResponse:
    """Place the list as one order from its location (credited to this store) and take the payment here."""
    counter, aisle = basket.load(request), load_list(request)
    form = AisleOrderForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        if data["token"] in counter.sold:  # the second tap of an order already taken
            return redirect("web:counter-receipt", order_id=counter.sold[data["token"]])
        member = counter.member()
        if not aisle.lines or aisle.source_id is None:
            form.add_error(None, _("The order is empty. Add an item from another location first."))
        elif data["token"] != aisle.token:
            form.add_error(None, _("The order changed in another window. Check it, then take payment again."))
        elif data["fulfilment"] == Fulfilment.PICKUP and member is None:
            form.add_error(None, _("A pickup needs a member: the pickup code goes to the member's orders."))
        else:
            request_ = OrderRequest(
                channel=Channel.POS,
                fulfilment=data["fulfilment"],
                fulfilment_location_id=aisle.source_id,
                lines=aisle.line_requests(),
                delivery_address=data["delivery_address"] if data["fulfilment"] == Fulfilment.DELIVERY else "",
            )
            try:
                placed = sell(
                    actor=request.actor, member=member, request=request_, method=data["method"], key=data["token"]
                )
            except DomainError as exc:
                priced = price_list(request, aisle)
                form.add_error(None, explain(exc, sku_names=priced.names if priced else None))
                aisle.token = new_token()  # nothing was sold under the old key; start afresh
                save_list(request, aisle)
            else:
                counter.finish(data["token"], placed.pk, basket_sold=False)
                basket.save(request, counter)
                save_list(request, AisleList(location_id=request.location_id))
                return redirect("web:counter-receipt", order_id=placed.pk)
    return _again(request, order_form=form, token=aisle.token)
