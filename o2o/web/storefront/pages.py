"""What every storefront page shows around its content: the nav with the cart count, who is signed
in, the store the shopper chose, and on phones a tab bar at the bottom."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from o2o.web.auth import current_member
from o2o.web.storefront.cart import Cart
from o2o.web.storefront.places import current_store, is_open_now


def render_shop(
    request: HttpRequest, template: str, context: dict[str, Any] | None = None, *, nav: str = "", status: int = 200
) -> HttpResponse:
    member = getattr(request, "member", None) or current_member(request)
    base = {
        "cart_count": Cart(request.session).count,
        "shop_member": member,
        "nav": nav,
        # Called by the template only when a whole page is drawn (htmx fragments cost no query).
        "shop_store": lambda: _store_bar(request),
    }
    return render(request, template, {**base, **(context or {})}, status=status)


def _store_bar(request: HttpRequest) -> dict | None:
    store = current_store(request)
    return {"store": store, "open_now": is_open_now(store)} if store else None
