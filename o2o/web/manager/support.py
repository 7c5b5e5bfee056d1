"""Staff support between stores for a store's manager (docs/staffing.md): ask for help, accept the
employees lent and confirm their hours; lend one of the store's employees to a nearby store.
Writes call o2o.staffing.services, as the API does."""

from datetime import datetime

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from o2o.core.errors import DomainError
from o2o.staff.models import Employee, Role
from o2o.staffing import selectors, services
from o2o.staffing.models import MAX_HEADCOUNT, LoanState
from o2o.web.auth import raise_if_refusal, staff_page
from o2o.web.manager.scope import StoreScope, store_scope

ROLES = (Role.STORE_MANAGER, Role.REGIONAL_SUPERVISOR)
_WHEN = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class AskForm(forms.Form):
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=[(r.value, r.label) for r in services.LENDABLE_ROLES])
    headcount = forms.IntegerField(label=gettext_lazy("Headcount"), min_value=1, max_value=MAX_HEADCOUNT, initial=1)
    starts_at = forms.DateTimeField(label=gettext_lazy("Needed from"), widget=_WHEN)
    ends_at = forms.DateTimeField(label=gettext_lazy("Needed until"), widget=_WHEN)
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=500)


class LendForm(forms.Form):
    employee = forms.TypedChoiceField(label=gettext_lazy("Employee"), coerce=int)


class HoursForm(forms.Form):
    hours = forms.DecimalField(
        label=gettext_lazy("Hours worked"), min_value=0, max_value=9999, max_digits=6, decimal_places=2
    )


def _staff_to_lend(scope: StoreScope) -> list[Employee]:
    return list(
        Employee.objects.filter(
            home_location=scope.location, is_active=True, role__in=services.LENDABLE_ROLES
        ).order_by("role", "display_name")
    )


def _back(scope: StoreScope) -> HttpResponse:
    return redirect(f"{reverse('web:manager-support')}{scope.suffix}")


def _page(request: HttpRequest, scope: StoreScope, form: AskForm, status: int = 200) -> HttpResponse:
    now = timezone.now()
    ours = list(selectors.requests_of(location_ids=frozenset({scope.location.pk}), limit=30))
    for asked in ours:
        asked.loan_rows = list(selectors.loans_of_request(asked.pk))
    staff = _staff_to_lend(scope)
    nearby = [
        (row, [e for e in staff if e.role == row.request.role])
        for row in selectors.open_requests_near(location=scope.location, now=now, limit=20)
    ]
    context = {
        "scope": scope,
        "section": "support",
        "is_manager": request.actor.has_role(Role.STORE_MANAGER),
        "form": form,
        "ours": ours,
        "nearby": nearby,
        "lent": list(selectors.loans_lent_by(location_ids=frozenset({scope.location.pk}), limit=30)),
        "now": now,
        "states": LoanState,
    }
    return render(request, "web/manager/support/page.html", context, status=status)


def _aware(moment: datetime) -> datetime:
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


@staff_page(*ROLES)
def support(request: HttpRequest) -> HttpResponse:
    """The store's requests and their loans, the nearby requests it could help with, its staff lent out;
    a POST asks for help."""
    scope = store_scope(request)
    form = AskForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        asked = services.RequestIn(
            location_id=scope.location.pk,
            role=data["role"],
            headcount=data["headcount"],
            starts_at=_aware(data["starts_at"]),
            ends_at=_aware(data["ends_at"]),
            note=data["note"],
        )
        try:
            services.create_request(actor=request.actor, request=asked)
        except DomainError as error:
            raise_if_refusal(error)
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Your request for help is posted to nearby stores."))
            return _back(scope)
    return _page(request, scope, form, status=422 if request.method == "POST" else 200)


def _act(request: HttpRequest, action, success: str) -> HttpResponse:
    scope = store_scope(request)
    try:
        action(scope)
    except DomainError as error:
        raise_if_refusal(error)
        messages.error(request, error.message)
    else:
        messages.success(request, success)
    return _back(scope)


@require_POST
@staff_page(*ROLES)
def lend(request: HttpRequest, request_id: int) -> HttpResponse:
    form = LendForm(request.POST)
    form.fields["employee"].choices = [(e.pk, e.display_name) for e in _staff_to_lend(store_scope(request))]
    if not form.is_valid():
        raise Http404
    employee_id = form.cleaned_data["employee"]
    return _act(
        request,
        lambda scope: services.lend_employee(actor=request.actor, request_id=request_id, employee_id=employee_id),
        _("Offered. The other store accepts the loan."),
    )


@require_POST
@staff_page(*ROLES)
def accept(request: HttpRequest, loan_id: int) -> HttpResponse:
    return _act(request, lambda scope: services.accept_loan(actor=request.actor, loan_id=loan_id), _("Loan accepted."))


@require_POST
@staff_page(*ROLES)
def cancel(request: HttpRequest, loan_id: int) -> HttpResponse:
    return _act(
        request, lambda scope: services.cancel_loan(actor=request.actor, loan_id=loan_id), _("Loan called off.")
    )


@require_POST
@staff_page(*ROLES)
def cancel_request(request: HttpRequest, request_id: int) -> HttpResponse:
    return _act(
        request,
        lambda scope: services.cancel_request(actor=request.actor, request_id=request_id),
        _("Request called off."),
    )


@require_POST
@staff_page(*ROLES)
def confirm_hours(request: HttpRequest, loan_id: int) -> HttpResponse:
    form = HoursForm(request.POST)
    if not form.is_valid():
        scope = store_scope(request)
        messages.error(request, _("Hours worked are a number with at most two decimals."))
        return _back(scope)
    hours = form.cleaned_data["hours"]
    return _act(
        request,
        lambda scope: services.confirm_hours(actor=request.actor, loan_id=loan_id, hours=hours),
        _("Hours confirmed."),
    )
