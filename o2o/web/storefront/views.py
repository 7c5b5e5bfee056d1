"""Browsing: the product list, a product with the stores that have it, the store finder, the cart."""

from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from o2o.catalog.models import SKU
from o2o.catalog.selectors import categories, online_skus, unit_prices
from o2o.core.ids import is_id
from o2o.inventory.selectors import available_to_promise
from o2o.orders.selectors import FULFILMENT_RADIUS_KM, pickup_stores_for, ship_from_for
from o2o.stores.models import Location
from o2o.stores.selectors import locations_within
from o2o.web.auth import current_member
from o2o.web.htmx import is_htmx
from o2o.web.storefront.cart import CHANNEL, Cart
from o2o.web.storefront.cart import priced as priced_cart
from o2o.web.storefront.forms import AddToCartForm, QuantityForm, SearchForm
from o2o.web.storefront.pages import render_shop
from o2o.web.storefront.places import choose_store, districts, is_open_now, position_for, shop_store

PAGE_SIZE = 20
NEARBY_STORES = 5
MAX_STORES = 50
T = "web/storefront/"


def home(request: HttpRequest) -> HttpResponse:
    """The online catalogue with category chips and a live search; 'more' loads the next page."""
    form = SearchForm(request.GET)
    filters = form.cleaned_data if form.is_valid() else {}
    found = list(
        online_skus(
            channel=CHANNEL, category_id=filters.get("category"), text=filters.get("q"), after_id=filters.get("after")
        ).select_related("product__category")[: PAGE_SIZE + 1]
    )
    skus = found[:PAGE_SIZE]
    prices = unit_prices(sku_ids={s.pk for s in skus}, channel=CHANNEL, location_id=None) if skus else {}
    context = {
        "products": [(sku, prices[sku.pk]) for sku in skus],
        "next_after": skus[-1].pk if len(found) > PAGE_SIZE else None,
        "q": filters.get("q", ""),
        "category": filters.get("category"),
        **_category_chips(filters.get("category")),
    }
    if is_htmx(request):
        partial = "rows" if filters.get("after") else "results"
        return render_shop(request, f"{T}home.html#{partial}", context)
    return render_shop(request, f"{T}home.html", context, nav="products")


def _category_chips(selected_id: int | None) -> dict:
    everything = list(categories())
    selected = next((c for c in everything if c.pk == selected_id), None)
    top_id = selected.parent_id or selected.pk if selected else None
    return {
        "top_categories": [c for c in everything if c.parent_id is None],
        "sub_categories": [c for c in everything if top_id and c.parent_id == top_id],
        "top_category_id": top_id,
    }


def _online_sku_or_404(sku_id: int) -> SKU:
    if not is_id(sku_id):
        raise Http404
    sku = online_skus(channel=CHANNEL).filter(pk=sku_id).select_related("product__category").first()
    if sku is None:
        raise Http404
    return sku


def product(request: HttpRequest, sku_id: int) -> HttpResponse:
    """Price, attributes, and the nearest stores that can promise it for pickup."""
    sku = _online_sku_or_404(sku_id)
    position = position_for(request)
    wanted = {sku.pk: 1}
    supplies = pickup_stores_for(
        latitude=position.latitude, longitude=position.longitude, wanted=wanted, limit=NEARBY_STORES
    )
    context = {
        "sku": sku,
        "price": unit_prices(sku_ids={sku.pk}, channel=CHANNEL, location_id=None)[sku.pk],
        "variants": online_skus(channel=CHANNEL).filter(product_id=sku.product_id).exclude(pk=sku.pk)[:10],
        "stores": [
            _StoreRow(s.nearby.location, s.nearby.distance_km, is_open_now(s.nearby.location), s.available[sku.pk])
            for s in supplies
        ],
        "delivers": ship_from_for(latitude=position.latitude, longitude=position.longitude, wanted=wanted) is not None,
        "position": position,
        "districts": districts(),
        "form": AddToCartForm(initial={"sku_id": sku.pk, "quantity": 1}),
    }
    return render_shop(request, f"{T}product.html", context, nav="products")


@dataclass(frozen=True)
class _StoreRow:
    location: Location
    distance_km: float
    open_now: bool
    available: int | None  # units of the asked-for SKU; None when none was asked for


def stores(request: HttpRequest) -> HttpResponse:
    """Stores nearest first, from the browser's position or a district; with ?sku= whether each has it."""
    position = position_for(request)
    sku = _sku_from(request.GET.get("sku", ""))
    text = request.GET.get("q", "").strip()[:50]
    nearby = locations_within(
        latitude=position.latitude,
        longitude=position.longitude,
        radius_km=FULFILMENT_RADIUS_KM,
        kinds=[Location.Kind.STORE],
    )
    if text:
        wanted = text.casefold()
        nearby = [n for n in nearby if wanted in f"{n.location.name} {n.location.address}".casefold()]
    nearby = nearby[:MAX_STORES]
    promise = available_to_promise(locations=[n.location for n in nearby], sku_ids={sku.pk}, online=True) if sku else {}
    rows = [
        _StoreRow(
            n.location, n.distance_km, is_open_now(n.location), promise.get((n.location.pk, sku.pk), 0) if sku else None
        )
        for n in nearby
    ]
    context = {
        "rows": rows,
        "sku": sku,
        "q": text,
        "position": position,
        "districts": districts(),
        "keep_fields": [("sku", sku.pk if sku else None), ("q", text)],
    }
    return render_shop(request, f"{T}stores.html", context, nav="stores")


@require_POST
def store_choose(request: HttpRequest, location_id: int) -> HttpResponse:
    """Shop at this store from now on: the storefront shows it at the top (kept in the session)."""
    store = shop_store(location_id)
    if store is None:
        raise Http404
    choose_store(request, store)
    messages.success(request, _("You now shop at %(store)s.") % {"store": store.name})
    target, host = request.POST.get("next", ""), request.get_host()
    safe = url_has_allowed_host_and_scheme(target, allowed_hosts={host}, require_https=request.is_secure())
    return redirect(target if safe else reverse("web:shop-home"))


def _sku_from(raw: str) -> SKU | None:
    return online_skus(channel=CHANNEL).filter(pk=int(raw)).first() if is_id(raw) else None


def cart(request: HttpRequest) -> HttpResponse:
    return render_shop(request, f"{T}cart.html", _cart_context(request, Cart(request.session)), nav="cart")


def _cart_context(request: HttpRequest, shopping_cart: Cart) -> dict:
    member = getattr(request, "member", None) or current_member(request)
    lines, priced = priced_cart(shopping_cart.lines(), member, channel=shopping_cart.channel)
    return {
        "lines": lines,
        "priced": priced,
        "total": priced.payable if priced else Cart.total(lines),
        "unsellable": [line for line in lines if line.unit_price is None],
        "delivery_fee": settings.O2O_DELIVERY_FEE,
        "free_delivery_from": settings.O2O_FREE_DELIVERY_FROM,
    }


@require_POST
def cart_add(request: HttpRequest) -> HttpResponse:
    """Add to cart from a product page or a list's quick add; with HTMX the answer is a short note
    and the new cart count."""
    form = AddToCartForm(request.POST)
    sku = _sku_from(str(form.cleaned_data["sku_id"])) if form.is_valid() else None
    if form.is_valid() and sku is None:
        form.add_error(None, _("This product is not sold online."))
    if not form.errors:
        try:
            Cart(request.session).add(sku.pk, form.cleaned_data["quantity"])
        except ValueError:
            form.add_error(None, _("Your cart is full. Check out or remove something first."))
    if is_htmx(request):
        # 200 even for bad input, so htmx swaps the note in (it leaves 4xx answers alone).
        template = f"{T}home.html#quick_added" if request.POST.get("quick") else f"{T}product.html#added"
        return render_shop(request, template, {"form": form, "sku": sku})
    if form.errors:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    else:
        messages.success(request, _("Added to your cart."))
    return redirect("web:shop-cart")


@require_POST
def cart_line(request: HttpRequest, sku_id: int) -> HttpResponse:
    """Change a line's quantity (0 removes it); with HTMX the answer is the cart again."""
    form = QuantityForm(request.POST)
    shopping_cart = Cart(request.session)
    if form.is_valid():
        shopping_cart.set(sku_id, form.cleaned_data["quantity"])
    if is_htmx(request):
        context = {**_cart_context(request, shopping_cart), "form_error": form.errors.get("quantity")}
        context["error_sku"] = sku_id
        context["oob_badge"] = True
        return render_shop(request, f"{T}cart.html#cart", context)
    if not form.is_valid():
        messages.error(request, _("Enter a quantity from 0 to 999."))
    return redirect("web:shop-cart")
