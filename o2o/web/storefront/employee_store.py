"""An employee's virtual store: /shop/e/<code>/ (their share link), its QR, its posters and joining.

Opening the link counts a visit (one per visitor and hour) and remembers the employee in the
session, so the cart is priced at share-link prices and the order is placed through the link
and credited to them (o2o.outreach.sessions). docs/outreach.md says what is shown to whom."""

import hashlib
from collections.abc import Callable
from decimal import Decimal

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from o2o.catalog.models import SKU, Channel
from o2o.catalog.selectors import online_skus, unit_prices
from o2o.core.errors import DomainError, ErrorCode
from o2o.core.ids import is_id
from o2o.core.ratelimits import client_address
from o2o.core.site import absolute_url
from o2o.core.visitors import keep_visitor_key, visitor_key
from o2o.members.forms import JoinCodeForm, JoinForm, code_error
from o2o.members.services import send_sign_in_code
from o2o.members.sessions import start_member_session
from o2o.outreach import selectors
from o2o.outreach.posters import PosterText, poster_png, qr_svg
from o2o.outreach.services import join_through_share_link, record_visit
from o2o.outreach.sessions import remember_referrer
from o2o.staff.models import Employee
from o2o.web.auth import current_member
from o2o.web.storefront.pages import render_shop

T = "web/storefront/employee_store/"
PAGE_SIZE = 20
VISITOR_COOKIE = "o2o_visitor"
VISITOR_COOKIE_AGE = 365 * 24 * 3600
IMAGE_MAX_AGE = 3600  # posters and QR codes: an hour in caches; the ETag answers 304 after that


def _employee_or_404(code: str) -> Employee:
    try:
        return selectors.sharing_employee(code)
    except DomainError as error:
        raise Http404 from error


def _share_sku_or_404(raw: str) -> SKU:
    """A SKU sold through share links (with a chain-wide share-link price); 404 for anything else."""
    sku = online_skus(channel=Channel.SHARE_LINK).filter(pk=int(raw)).first() if is_id(raw) else None
    if sku is None:
        raise Http404
    return sku


def _featured(raw: str) -> SKU | None:
    try:
        return _share_sku_or_404(raw) if raw else None
    except Http404:
        return None  # a stale or made-up SKU in the link still opens the store


def _share_price(sku: SKU) -> Decimal:
    return unit_prices(sku_ids={sku.pk}, channel=Channel.SHARE_LINK, location_id=None)[sku.pk]


@require_GET
def employee_store(request: HttpRequest, code: str) -> HttpResponse:
    """The catalogue at share-link prices, the employee's card and what they may push."""
    employee = _employee_or_404(code)
    member = current_member(request)
    after = request.GET.get("after", "")
    found = list(
        online_skus(channel=Channel.SHARE_LINK, after_id=int(after) if is_id(after) else None).select_related(
            "product__category"
        )[: PAGE_SIZE + 1]
    )
    skus = found[:PAGE_SIZE]
    prices = unit_prices(sku_ids={s.pk for s in skus}, channel=Channel.SHARE_LINK, location_id=None) if skus else {}
    remember_referrer(request.session, employee)
    visitor, fresh = visitor_key(request, VISITOR_COOKIE)
    featured = _featured(request.GET.get("sku", ""))  # a product poster's QR opens the link with its SKU
    record_visit(employee=employee, visitor_cookie=visitor, path=request.path, member=member, sku=featured)
    offers = selectors.pushable_offers(employee, member_id=member.pk if member else None)
    context = {
        "employee": employee,
        "card": selectors.card_of(employee),
        "store": employee.home_location,
        "products": [(sku, prices[sku.pk]) for sku in skus],
        "featured": (featured, _share_price(featured)) if featured else None,
        "next_after": skus[-1].pk if len(found) > PAGE_SIZE else None,
        "promotions": offers.promotions,
        "coupon_templates": offers.coupon_templates,
        "member": member,
        "join_url": reverse("web:shop-employee-join", kwargs={"code": employee.code}),
    }
    response = render_shop(request, f"{T}store.html", context, nav="products")
    if fresh:
        keep_visitor_key(request, response, VISITOR_COOKIE, visitor, max_age=VISITOR_COOKIE_AGE)
    return response


def _cached(request: HttpRequest, parts: list[str], content_type: str, draw: Callable[[], bytes]) -> HttpResponse:
    """The image with an ETag of what it shows; 304 when the client has it already."""
    etag = '"' + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32] + '"'
    cache_control = f"public, max-age={IMAGE_MAX_AGE}"
    if etag in [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]:
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(draw(), content_type=content_type)
    response["ETag"] = etag
    response["Cache-Control"] = cache_control
    return response


@require_GET
def qr(request: HttpRequest, code: str) -> HttpResponse:
    """The share link as an SVG QR code."""
    employee = _employee_or_404(code)
    url = absolute_url(selectors.share_link_path(employee), request)
    return _cached(request, ["qr", url], "image/svg+xml", lambda: qr_svg(url))


@require_GET
def poster(request: HttpRequest, code: str) -> HttpResponse:
    """A poster PNG: ?sku=<id> a product's (name, share-link price), else the store's (name and
    address); both with the employee's name and the QR of their link."""
    employee = _employee_or_404(code)
    card = selectors.card_of(employee)
    url = absolute_url(selectors.share_link_path(employee), request)
    store = employee.home_location
    store_name = store.name if store else _("O2O Shop")
    if "sku" in request.GET:
        sku = _share_sku_or_404(request.GET["sku"])
        price = _share_price(sku)
        url = f"{url}?sku={sku.pk}"  # the QR opens the link with this product on top
        text = PosterText(sku.name, price, store_name, employee.display_name, card.title if card else "",
                          _("Scan to buy from me"))  # fmt: skip
    else:
        text = PosterText(store_name, None, store.address if store else "", employee.display_name,
                          card.title if card else "", _("Scan to visit my store"))  # fmt: skip
    parts = ["poster", url, get_language() or "", *map(str, text.__dict__.values())]
    return _cached(request, parts, "image/png", lambda: poster_png(url, text))


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    ok = url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    return target if ok else default


@require_http_methods(["GET", "POST"])
def join(request: HttpRequest, code: str) -> HttpResponse:
    """Join (or sign in) from the employee's link: the phone gets a code, the code proves it; a new
    member is registered through the share link and credited to this employee."""
    employee = _employee_or_404(code)
    home = selectors.share_link_path(employee)
    step_two = "code" in request.POST
    form = (JoinCodeForm if step_two else JoinForm)(request.POST or None, initial={"ref": employee.code})
    throttled = False
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if step_two:
                member = join_through_share_link(
                    phone=data["phone"],
                    code=data["code"],
                    employee_code=employee.code,
                    name=data["name"],
                    marketing_consent=data["marketing_consent"],
                    client=client_address(request),
                )
                start_member_session(request, member)
                remember_referrer(request.session, employee)
                return redirect(_safe_next(request, home))
            send_sign_in_code(phone=data["phone"], client=client_address(request))
            form = JoinCodeForm(initial=data)
            step_two = True
        except DomainError as error:
            if error.code == ErrorCode.NOT_FOUND:
                raise Http404 from error
            throttled = error.code == ErrorCode.RATE_LIMITED
            form.add_error(*code_error(error, step_two=step_two))
    status = 429 if throttled else 422 if form.errors else 200
    context = {
        "employee": employee,
        "card": selectors.card_of(employee),
        "store": employee.home_location,
        "form": form,
        "step_two": step_two,
        "next": _safe_next(request, home),
    }
    return render_shop(request, f"{T}join.html", context, status=status)
