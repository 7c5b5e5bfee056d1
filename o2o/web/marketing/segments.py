"""Marketers' segment page: the segments with their live counts, a form to create one whose count
updates as the rules are typed (HTMX), and a grant of a coupon template to a segment. Counts only:
no member list, no phones. Reads through `o2o.marketing.selectors`, writes through its services."""

import json

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from o2o.core.errors import DomainError
from o2o.core.ids import MAX_ID
from o2o.marketing import selectors, services
from o2o.staff.models import Role
from o2o.web.auth import refusals_as_http, staff_page

SHOWN = 100
EXAMPLE = '[{"kind": "purchased_within", "days": 30}, {"kind": "marketing_consent", "value": true}]'


class SegmentForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    rules = forms.CharField(
        label=gettext_lazy("Rules (JSON, all must hold)"),
        max_length=4000,
        initial=EXAMPLE,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def clean_rules(self):
        try:
            return json.loads(self.cleaned_data["rules"])
        except ValueError:
            raise forms.ValidationError(_("The rules are not valid JSON.")) from None


class GrantForm(forms.Form):
    segment_id = forms.IntegerField(label=gettext_lazy("Segment id"), min_value=1, max_value=MAX_ID)
    template_id = forms.IntegerField(label=gettext_lazy("Coupon template id"), min_value=1, max_value=MAX_ID)


@staff_page(Role.MARKETER, Role.HQ)
@refusals_as_http
def segments(request: HttpRequest) -> HttpResponse:
    form = SegmentForm(request.POST if request.POST.get("form") == "segment" else None)
    grant_form = GrantForm(request.POST if request.POST.get("form") == "grant" else None)
    if form.is_bound and form.is_valid():
        try:
            segment = services.create_segment(actor=request.actor, **form.cleaned_data)
        except DomainError as error:
            form.add_error("rules", error.message)
        else:
            messages.success(request, _("Segment “%(name)s” saved.") % {"name": segment.name})
            return redirect("web:marketing-segments")
    if grant_form.is_bound and grant_form.is_valid():
        try:
            grant = services.grant_to_segment(actor=request.actor, **grant_form.cleaned_data)
        except DomainError as error:
            grant_form.add_error(None, error.message)
        else:
            text = _("Granted %(granted)s coupons (%(held_out)s held out, %(refused)s refused).")
            messages.success(request, text % {"granted": grant.granted, "held_out": grant.held_out,
                                              "refused": grant.refused})  # fmt: skip
            return redirect("web:marketing-segments")
    rows = [(s, selectors.segment_count(s)) for s in selectors.segments(actor=request.actor)[:SHOWN]]
    context = {"rows": rows, "form": form, "grant_form": grant_form}
    return render(request, "web/marketing/segments/list.html", context)


@staff_page(Role.MARKETER, Role.HQ)
@refusals_as_http
def segment_count(request: HttpRequest) -> HttpResponse:
    """The live count of the rules being typed (the HTMX fragment); never saves."""
    try:
        count = selectors.preview_count(actor=request.actor, rules=json.loads(request.GET.get("rules", "")))
        error = ""
    except ValueError:
        count, error = None, _("The rules are not valid JSON.")
    except DomainError as problem:
        count, error = None, problem.message
    return render(request, "web/marketing/segments/_count.html", {"count": count, "error": error})
