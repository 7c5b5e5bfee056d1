"""Marketers' campaign pages: the list (the landing page of /marketing/) with a form to create one,
and each campaign's report. Reads through `o2o.marketing.selectors`, writes through its services."""

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from o2o.core.errors import DomainError
from o2o.marketing import selectors, services
from o2o.staff.models import Role
from o2o.web.auth import refusals_as_http, staff_page

SHOWN = 200


_WHEN = forms.DateTimeInput(attrs={"type": "datetime-local"})


class CampaignForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    description = forms.CharField(label=gettext_lazy("Description"), max_length=2000, required=False)
    starts_at = forms.DateTimeField(label=gettext_lazy("Starts at"), widget=_WHEN)
    ends_at = forms.DateTimeField(label=gettext_lazy("Ends at"), widget=_WHEN, required=False)
    control_percent = forms.IntegerField(
        label=gettext_lazy("Control group (percent of members)"), min_value=0, max_value=50, initial=0
    )


@staff_page(Role.MARKETER, Role.ONLINE_OPERATOR, Role.HQ)
@refusals_as_http
def campaigns(request: HttpRequest) -> HttpResponse:
    form = CampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.create_campaign(
                actor=request.actor, fields=services.CampaignFields(**form.cleaned_data)
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Campaign “%(name)s” created.") % {"name": campaign.name})
            return redirect("web:marketing-campaigns")
    rows = [(c, selectors.campaign_status(c)) for c in selectors.campaigns(actor=request.actor)[:SHOWN]]
    return render(request, "web/marketing/campaigns/list.html", {"rows": rows, "form": form})


@staff_page(Role.MARKETER, Role.ONLINE_OPERATOR, Role.HQ)
@refusals_as_http
def campaign_report(request: HttpRequest, campaign_id: int) -> HttpResponse:
    report = selectors.campaign_report(actor=request.actor, campaign_id=campaign_id)
    context = {
        "report": report,
        "offers": selectors.campaign_offers(report.campaign),
        "online_rate": report.redemption_rate(report.online),
        "offline_rate": report.redemption_rate(report.offline),
    }
    return render(request, "web/marketing/campaigns/report.html", context)
