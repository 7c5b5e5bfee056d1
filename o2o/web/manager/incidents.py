"""A store's incidents (/manager/incidents/, docs/incidents.md): the open ones first with those past
their time to act flagged, and one incident with who did what and the remedies to apply. Writes call
o2o.incidents.services, as the API does; the permission table decides who may do what."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from o2o.access.permissions import Operation, may
from o2o.core.errors import DomainError, ErrorCode
from o2o.incidents import selectors, services
from o2o.incidents.models import IncidentState, Outcome
from o2o.staff.models import Role
from o2o.web.auth import refusal_or_message, refusals_as_http, staff_page
from o2o.web.manager.scope import store_scope
from o2o.web.manager.views import page_context

INCIDENT_ROLES = (Role.STORE_MANAGER, Role.CLERK)
PAGE_SIZE = 30
STATES = ("open", "remedied", "closed", "all")


class RefundForm(forms.Form):
    quantity = forms.IntegerField(label=gettext_lazy("Units"), min_value=1, max_value=1_000_000)
    key = forms.CharField(widget=forms.HiddenInput, max_length=80)


class CouponForm(forms.Form):
    template_id = forms.IntegerField(label=gettext_lazy("Coupon template number"), min_value=1)
    key = forms.CharField(widget=forms.HiddenInput, max_length=80)


class NoteForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("Note"), max_length=services.MAX_NOTE)
    key = forms.CharField(widget=forms.HiddenInput, max_length=80, required=False)


class SubstituteForm(forms.Form):
    sku_id = forms.IntegerField(label=gettext_lazy("Product number offered"), min_value=1)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=services.MAX_NOTE, required=False)


class AnswerForm(forms.Form):
    accepted = forms.TypedChoiceField(
        label=gettext_lazy("The customer's answer"),
        coerce=lambda v: v == "yes",
        choices=[("yes", gettext_lazy("Accepted")), ("no", gettext_lazy("Declined"))],
    )
    note = forms.CharField(label=gettext_lazy("Note"), max_length=services.MAX_NOTE, required=False)


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(label=gettext_lazy("Outcome"), choices=Outcome.choices)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=services.MAX_NOTE, required=False)


@staff_page(*INCIDENT_ROLES)
@refusals_as_http
def incident_list(request: HttpRequest) -> HttpResponse:
    scope = store_scope(request)
    state = request.GET.get("state") if request.GET.get("state") in STATES else "open"
    rows = selectors.incidents_for(
        actor=request.actor, location_id=scope.location.pk, state=None if state == "all" else state
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page") or 1)
    context = page_context(request, scope, "incidents", page=page, state=state, states=STATES)
    return render(request, "web/manager/incidents/list.html", context)


def _forms(incident, key: str) -> dict:
    return {
        "refund_form": RefundForm(
            initial={"key": key, "quantity": max(incident.quantity - incident.refunded_quantity, 1)}
        ),
        "coupon_form": CouponForm(initial={"key": key}),
        "note_form": NoteForm(initial={"key": key}),
        "substitute_form": SubstituteForm(),
        "answer_form": AnswerForm(),
        "close_form": CloseForm(),
    }


@staff_page(*INCIDENT_ROLES)
@refusals_as_http
def incident_detail(request: HttpRequest, incident_id: int) -> HttpResponse:
    scope = store_scope(request)
    incident = selectors.get_incident_for(actor=request.actor, incident_id=incident_id)
    if incident.location_id != scope.location.pk:
        raise Http404
    working = incident.state != IncidentState.CLOSED
    may_work = working and may(request.actor, Operation.WORK_INCIDENTS, location_id=incident.location_id)
    context = page_context(request, scope, "incidents", incident=incident, may_work=may_work)
    if may_work:
        context.update(_forms(incident, context["form_key"]))
    return render(request, "web/manager/incidents/detail.html", context)


def _act(actor, incident_id: int, action: str, data) -> None:
    """One remedy (or closing) from its form; a form that does not validate is a refusal in words."""
    forms_by_action = {
        "refund": RefundForm,
        "coupon": CouponForm,
        "redeliver": NoteForm,
        "contact": NoteForm,
        "substitute": SubstituteForm,
        "answer": AnswerForm,
        "close": CloseForm,
    }
    if action not in forms_by_action:
        raise Http404
    form = forms_by_action[action](data)
    if not form.is_valid():
        raise DomainError(ErrorCode.INVALID, _("Check the form: %(errors)s") % {"errors": form.errors.as_text()})
    d = form.cleaned_data
    if action == "refund":
        services.refund_units(actor=actor, incident_id=incident_id, quantity=d["quantity"], key=d["key"])
    elif action == "coupon":
        services.grant_apology_coupon(actor=actor, incident_id=incident_id, template_id=d["template_id"], key=d["key"])
    elif action == "redeliver":
        services.arrange_redelivery(actor=actor, incident_id=incident_id, note=d["note"], key=d["key"] or None)
    elif action == "contact":
        services.record_contact(actor=actor, incident_id=incident_id, note=d["note"])
    elif action == "substitute":
        services.offer_substitute(actor=actor, incident_id=incident_id, sku_id=d["sku_id"], note=d["note"])
    elif action == "answer":
        services.record_substitute_answer(actor=actor, incident_id=incident_id, accepted=d["accepted"], note=d["note"])
    else:
        services.close_incident(actor=actor, incident_id=incident_id, outcome=d["outcome"], note=d["note"])


@require_POST
@staff_page(*INCIDENT_ROLES)
@refusals_as_http
def incident_act(request: HttpRequest, incident_id: int, action: str) -> HttpResponse:
    scope = store_scope(request)
    try:
        _act(request.actor, incident_id, action, request.POST)
    except DomainError as error:
        messages.error(request, refusal_or_message(error))
    else:
        messages.success(request, _("Done."))
    return redirect(reverse("web:manager-incident", args=[incident_id]) + scope.suffix)
