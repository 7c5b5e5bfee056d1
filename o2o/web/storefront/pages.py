"""What every storefront page shows around its content: the nav with the cart count and who is signed in."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from o2o.web.auth import current_member
from o2o.web.storefront.cart import Cart


def render_shop(
    request: HttpRequest, template: str, context: dict[str, Any] | None = None, *, nav: str = "", status: int = 200
) -> HttpResponse:
    member = getattr(request, "member", None) or current_member(request)
    base = {"cart_count": Cart(request.session).count, "shop_member": member, "nav": nav}
    return render(request, template, {**base, **(context or {})}, status=status)
