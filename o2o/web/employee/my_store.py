"""My store (/me/): my share link to copy, its QR, posters to download, my business card, and what
the link brought (visits, visitors, members, orders, revenue, conversion) over a period."""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from o2o.catalog.models import Channel
from o2o.catalog.selectors import online_skus
from o2o.core.errors import DomainError, ErrorCode
from o2o.core.site import absolute_url
from o2o.outreach import selectors, services
from o2o.staff.models import Employee
from o2o.web.auth import staff_page

T = "web/employee/my_store/"
PERIODS = {7: gettext_lazy("7 days"), 30: gettext_lazy("30 days"), 90: gettext_lazy("90 days")}
DEFAULT_DAYS = 30
POSTER_SKUS = 50


class CardForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=60, required=False)
    greeting = forms.CharField(label=gettext_lazy("Greeting"), max_length=200, required=False,
                               widget=forms.Textarea(attrs={"rows": 2}))  # fmt: skip
    contact_phone = forms.CharField(label=gettext_lazy("Contact phone (members only)"), max_length=32, required=False,
                                    widget=forms.TextInput(attrs={"type": "tel"}))  # fmt: skip
    wechat_id = forms.CharField(label=gettext_lazy("WeChat id (members only)"), max_length=40, required=False)
    photo_url = forms.URLField(label=gettext_lazy("Photo address"), max_length=300, required=False,
                               assume_scheme="https")  # fmt: skip


def _me(request: HttpRequest) -> Employee:
    try:
        return selectors.my_employee(request.actor)
    except DomainError as error:
        raise PermissionDenied from error


def _days(request: HttpRequest) -> int:
    raw = request.GET.get("days", "")
    return int(raw) if raw.isdigit() and int(raw) in PERIODS else DEFAULT_DAYS


def _page(request: HttpRequest, employee: Employee, form: CardForm, status: int = 200) -> HttpResponse:
    days = _days(request)
    until = timezone.now()
    figures = selectors.share_link_figures(employee_ids=[employee.pk], since=until - timedelta(days=days), until=until)
    context = {
        "employee": employee,
        "link": absolute_url(selectors.share_link_path(employee), request),
        "qr_url": selectors.qr_path(employee),
        "poster_url": selectors.poster_path(employee),
        "poster_skus": online_skus(channel=Channel.SHARE_LINK)[:POSTER_SKUS],
        "figures": figures[employee.pk],
        "days": days,
        "periods": PERIODS.items(),
        "form": form,
        "section": "my-store",
    }
    return render(request, f"{T}home.html", context, status=status)


@require_GET
@staff_page()
def home(request: HttpRequest) -> HttpResponse:
    employee = _me(request)
    card = selectors.card_of(employee)
    initial = {name: getattr(card, name) for name in CardForm.base_fields} if card else {}
    return _page(request, employee, CardForm(initial=initial))


@require_POST
@staff_page()
def save_card(request: HttpRequest) -> HttpResponse:
    """Save my card (the service knows only the caller's own)."""
    employee = _me(request)
    form = CardForm(request.POST)
    if form.is_valid():
        try:
            services.save_my_card(actor=request.actor, **form.cleaned_data)
        except DomainError as error:
            if error.code == ErrorCode.INVALID_PHONE:
                form.add_error("contact_phone", _("Enter a valid mobile phone number."))
            elif error.code == ErrorCode.INVALID:
                form.add_error("photo_url", _("Enter an http(s) address."))
            else:
                raise
        else:
            messages.success(request, _("Your card is saved."))
            return redirect("web:employee-home")
    return _page(request, employee, form, status=422)
