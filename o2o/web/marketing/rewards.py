"""Marketers' rewards page: red packets with claimed / budget left, store check-in points with their
QR and visits, the running referral programme; forms to create a red packet and a check-in point.
Reads through `o2o.rewards.selectors`, writes through its services."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from o2o.core.errors import DomainError, ErrorCode
from o2o.core.ids import MAX_ID
from o2o.core.money import CENT
from o2o.core.site import absolute_url
from o2o.rewards import selectors, services
from o2o.rewards.models import RewardKind
from o2o.staff.models import Role
from o2o.web.auth import staff_page
from o2o.web.manager.join_links import qr_data_uri

SHOWN = 100
_WHEN = forms.DateTimeInput(attrs={"type": "datetime-local"})


class RedPacketForm(forms.Form):
    campaign_id = forms.IntegerField(label=gettext_lazy("Campaign id"), min_value=1, max_value=MAX_ID)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    budget = forms.DecimalField(label=gettext_lazy("Budget (yuan)"), min_value=CENT, max_digits=12, decimal_places=2)
    shares = forms.IntegerField(label=gettext_lazy("Shares"), min_value=1, max_value=services.MAX_SHARES)
    min_share = forms.DecimalField(
        label=gettext_lazy("Smallest share"), min_value=CENT, max_digits=12, decimal_places=2, required=False
    )
    max_share = forms.DecimalField(
        label=gettext_lazy("Largest share"), min_value=CENT, max_digits=12, decimal_places=2, required=False
    )
    starts_at = forms.DateTimeField(label=gettext_lazy("Opens at"), widget=_WHEN)
    ends_at = forms.DateTimeField(label=gettext_lazy("Closes at"), widget=_WHEN)


class CheckInPointForm(forms.Form):
    campaign_id = forms.IntegerField(label=gettext_lazy("Campaign id"), min_value=1, max_value=MAX_ID)
    location_id = forms.IntegerField(label=gettext_lazy("Store id"), min_value=1, max_value=MAX_ID)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    coupon_template_id = forms.IntegerField(
        label=gettext_lazy("Coupon template id"), min_value=1, max_value=MAX_ID, required=False
    )
    points = forms.IntegerField(label=gettext_lazy("Points"), min_value=0, max_value=services.MAX_POINTS, initial=0)
    once_per_day = forms.BooleanField(label=gettext_lazy("Once a day"), required=False)
    starts_at = forms.DateTimeField(label=gettext_lazy("Opens at"), widget=_WHEN)
    ends_at = forms.DateTimeField(label=gettext_lazy("Closes at"), widget=_WHEN)


def _problem(error: DomainError) -> str:
    if error.code == ErrorCode.NOT_FOUND:
        return _("No such campaign, store or coupon template: check the ids.")
    return _("Check the terms: the budget lies between shares × smallest and shares × largest share, "
             "the end comes after the start, and a check-in gives a coupon or points.")  # fmt: skip


def _create(request: HttpRequest, form: forms.Form, make) -> bool:
    if not form.is_valid():
        return False
    try:
        made = make(form.cleaned_data)
    except DomainError as error:
        if error.code == ErrorCode.FORBIDDEN:
            raise PermissionDenied from error
        form.add_error(None, _problem(error))
        return False
    messages.success(request, _("%(name)s created.") % {"name": made.name})
    return True


def _red_packet(request: HttpRequest):
    def make(data: dict):
        spec = services.RedPacketSpec(kind=RewardKind.WALLET_CREDIT, **data)
        return services.create_red_packet(actor=request.actor, spec=spec)

    return make


def _check_in_point(request: HttpRequest):
    def make(data: dict):
        reward = services.Reward(coupon_template_id=data.pop("coupon_template_id"), points=data.pop("points"))
        return services.create_check_in_point(
            actor=request.actor, spec=services.CheckInPointSpec(reward=reward, **data)
        )

    return make


@staff_page(Role.MARKETER, Role.HQ)
def rewards(request: HttpRequest) -> HttpResponse:
    which = request.POST.get("form")
    packet_form = RedPacketForm(request.POST if which == "red_packet" else None, prefix="packet")
    point_form = CheckInPointForm(request.POST if which == "check_in" else None, prefix="point")
    if request.method == "POST":
        made = (
            _create(request, packet_form, _red_packet(request))
            if which == "red_packet"
            else _create(request, point_form, _check_in_point(request))
        )
        if made:
            return redirect("web:marketing-rewards")
    try:
        packets = list(selectors.red_packets(actor=request.actor)[:SHOWN])
        points = list(selectors.check_in_points(actor=request.actor)[:SHOWN])
    except DomainError as error:
        raise PermissionDenied from error
    for packet in packets:
        packet.link = absolute_url(reverse("web:shop-red-packet", kwargs={"code": packet.code}), request)
        packet.budget_left = packet.budget - packet.claimed_amount
    for point in points:
        point.link = absolute_url(reverse("web:shop-check-in", kwargs={"code": point.code}), request)
        point.qr = qr_data_uri(point.link)
    context = {
        "packets": packets,
        "points": points,
        "programme": services.running_programme(),
        "packet_form": packet_form,
        "point_form": point_form,
    }
    status = 422 if request.method == "POST" else 200
    return render(request, "web/marketing/rewards/page.html", context, status=status)
