"""Materials to share (/me/materials/, docs/toolbox.md): the chain's and my store's materials, a
share button that makes my own link (QR to show, link to copy), and what my links brought:
opens, readers, reading time, forwards, inquiries, leads. Rules in `o2o.toolbox`."""

import secrets
from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from o2o.core.errors import DomainError, ErrorCode
from o2o.core.site import absolute_url
from o2o.toolbox import selectors, services
from o2o.toolbox.selectors import FIGURES
from o2o.web.auth import staff_page
from o2o.web.manager.join_links import qr_data_uri

T = "web/employee/materials/"
PERIODS = {7: gettext_lazy("7 days"), 30: gettext_lazy("30 days"), 90: gettext_lazy("90 days")}
DEFAULT_DAYS = 30
SHOWN = 100


def _days(request: HttpRequest) -> int:
    raw = request.GET.get("days", "")
    return int(raw) if raw.isdigit() and int(raw) in PERIODS else DEFAULT_DAYS


def _refuse(error: DomainError):
    if error.code == ErrorCode.NOT_FOUND:
        raise Http404 from error
    raise PermissionDenied from error


@staff_page()
def material_list(request: HttpRequest) -> HttpResponse:
    days = _days(request)
    until = timezone.now()
    try:
        materials = list(selectors.materials_to_share(actor=request.actor)[:SHOWN])
        figures = selectors.my_figures(actor=request.actor, since=until - timedelta(days=days), until=until)
    except DomainError as error:
        _refuse(error)
    zero = dict.fromkeys(FIGURES, 0)
    rows = [(material, figures["materials"].get(material.pk, zero)) for material in materials]
    context = {"section": "materials", "rows": rows, "totals": figures["totals"], "days": days,
               "periods": list(PERIODS.items()), "share_key": secrets.token_urlsafe(12)}  # fmt: skip
    return render(request, f"{T}list.html", context)


@require_POST
@staff_page()
def share(request: HttpRequest, material_id: int) -> HttpResponse:
    """My own link to the material: shown with its QR to scan or copy (HTMX swaps it in)."""
    key = request.POST.get("key", "")[:80] or None  # the form's one-time key: a double tap, one link
    try:
        made = services.share_material(actor=request.actor, material_id=material_id, idempotency_key=key)
    except DomainError as error:
        _refuse(error)
    link = absolute_url(f"/shop/m/{made.token}/", request)
    return render(request, f"{T}_share.html", {"link": link, "qr": qr_data_uri(link), "material": made.material})
