"""Endless aisle: this store lacks an item, so the clerk orders it from another location for the customer."""

from dataclasses import dataclass
from decimal import Decimal

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from o2o.catalog.models import SKU, Channel
from o2o.catalog.selectors import search_skus, skus_by_id
from o2o.core.codes import new_token
from o2o.core.errors import DomainError, ErrorCode
from o2o.inventory.selectors import nearby_supply
from o2o.orders.models import Fulfilment
from o2o.orders.services import LineRequest, OrderRequest
from o2o.pricing import cart as pricing
from o2o.stores.models import Location
from o2o.web.counter import basket
from o2o.web.counter.checkout import sell
from o2o.web.counter.display import Customer
from o2o.web.counter.errors import explain
from o2o.web.counter.forms import AisleOrderForm, AisleSearchForm
from o2o.web.counter.pages import counter_page, respond

TEMPLATE = "web/counter/aisle.html"
SEARCH_RESULTS = 20
RADIUS_KM = 50.0
SOURCES_SHOWN = 10


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


@dataclass(frozen=True)
class Chosen:
    sku: SKU
    quantity: int
    unit_price: Decimal
    total: Decimal  # payable for a pickup (pricing.price_cart, the customer's benefits included)
    here: int
    sources: list[Source]
    discounts: tuple[pricing.Discount, ...] = ()
    delivery_total: Decimal | None = None  # payable for a delivery (with its fee)


def _chosen(request: HttpRequest, sku_id: int, quantity: int) -> Chosen:
    sku = skus_by_id({sku_id})[sku_id]
    price = basket.counter_prices({sku_id}, request.location_id).get(sku_id)
    if price is None or not sku.is_sold_on(Channel.POS):
        raise DomainError(ErrorCode.NO_PRICE, "no counter price", sku_ids=[sku_id])
    here = basket.shelf_stock(request.store, {sku_id})[sku_id]
    sources = other_sources(request.store, sku_id, quantity)
    member = basket.load(request).member()
    priced = {
        fulfilment: pricing.price_cart(
            lines=[pricing.CartLine(sku_id, quantity)],
            channel=Channel.POS,
            location_id=request.location_id,
            member=member,
            fulfilment=fulfilment,
            prices={sku_id: price},
        )
        for fulfilment in (Fulfilment.PICKUP, Fulfilment.DELIVERY)
    }
    pickup, delivery = priced[Fulfilment.PICKUP], priced[Fulfilment.DELIVERY]
    return Chosen(sku, quantity, price, pickup.payable, here, sources, pickup.lines[0].discounts, delivery.payable)


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
    counter = basket.load(request)
    return {
        "store": request.store,
        "search_form": search,
        "searched": text,
        "results": results,
        "chosen": chosen,
        "error": error,
        "customer": Customer.of(counter.member()),
        "back": "aisle",
        "order_form": AisleOrderForm(initial={"method": "cash", "fulfilment": Fulfilment.DELIVERY}),
        "token": new_token(),  # one key per order form: a second tap on the same form cannot sell twice
        **extra,
    }


@counter_page
def page(request: HttpRequest) -> HttpResponse:
    """Search a product, see which other locations have it, and choose one."""
    context = _context(request, AisleSearchForm(request.GET))
    return respond(request, TEMPLATE, context, partial="main")


@counter_page
@require_POST
def order(request: HttpRequest) -> HttpResponse:
    """Place the order from the chosen location (credited to this store) and take the payment here."""
    counter = basket.load(request)
    form = AisleOrderForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        if data["token"] in counter.sold:  # the second tap of an order already taken
            return redirect("web:counter-receipt", order_id=counter.sold[data["token"]])
        member = counter.member()
        if data["location_id"] == request.location_id:
            form.add_error("location_id", _("This is your own store: ring it up as a sale instead."))
        elif data["fulfilment"] == Fulfilment.PICKUP and member is None:
            form.add_error(None, _("A pickup needs a member: the pickup code goes to the member's orders."))
        else:
            request_ = OrderRequest(
                channel=Channel.POS,
                fulfilment=data["fulfilment"],
                fulfilment_location_id=data["location_id"],
                lines=[LineRequest(data["sku_id"], data["quantity"])],
                delivery_address=data["delivery_address"] if data["fulfilment"] == Fulfilment.DELIVERY else "",
            )
            try:
                placed = sell(
                    actor=request.actor, member=member, request=request_, method=data["method"], key=data["token"]
                )
            except DomainError as exc:
                form.add_error(None, explain(exc))
            else:
                counter.finish(data["token"], placed.pk, basket_sold=False)
                basket.save(request, counter)
                return redirect("web:counter-receipt", order_id=placed.pk)
    search = AisleSearchForm({"sku": request.POST.get("sku_id"), "quantity": request.POST.get("quantity")})
    return respond(request, TEMPLATE, _context(request, search, order_form=form), partial="main", status=422)
