"""Follow-up tasks for a store's employees (/manager/follow-ups/): the store manager (or HQ, for
a store chosen with ?location=) sees the team's leads with masked phones, the open tasks and who
did how many, and assigns a task on a lead. Writes call o2o.leads.services, as the API does."""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from o2o.access.permissions import Operation, may
from o2o.core.errors import DomainError, ErrorCode
from o2o.leads import selectors, services
from o2o.leads.models import FollowUpKind
from o2o.staff.models import Role
from o2o.staff.selectors import employees_at
from o2o.web.auth import staff_page
from o2o.web.manager.scope import store_scope

COUNT_DAYS = 30


class AssignForm(forms.Form):
    lead_id = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    due_on = forms.DateField(label=gettext_lazy("Due on"), widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=FollowUpKind.choices)
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=500)


def _rows(request: HttpRequest, location_id: int) -> list[dict]:
    viewer = request.actor.employee
    return [
        {"lead": lead, "phone": selectors.visible_phone(viewer, lead)}
        for lead in selectors.team_leads(location_id)[:300]
    ]


def _team(location_id: int) -> list[dict]:
    today = timezone.localdate()
    employees = list(employees_at(location_ids=frozenset({location_id})).filter(is_active=True))
    since, until = today - timedelta(days=COUNT_DAYS), today + timedelta(days=1)
    counts = selectors.follow_up_counts(employee_ids=[e.pk for e in employees], since=since, until=until)
    return [{"employee": e, "counts": counts.get(e.pk, (0, 0, 0))} for e in employees]


@staff_page(Role.STORE_MANAGER)
def follow_up_board(request: HttpRequest) -> HttpResponse:
    scope = store_scope(request)
    if not may(request.actor, Operation.ASSIGN_FOLLOW_UP, location_id=scope.location.pk):
        raise PermissionDenied
    form = AssignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        lead = selectors.team_leads(scope.location.pk).filter(pk=data.pop("lead_id")).first()
        if lead is None:
            raise Http404
        try:
            services.assign_follow_up(actor=request.actor, employee_id=lead.employee_id, lead_id=lead.pk, **data)
        except DomainError as error:
            if error.code in (ErrorCode.NOT_FOUND, ErrorCode.FORBIDDEN):
                raise Http404 from error
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Follow-up assigned to %(name)s.") % {"name": lead.employee.display_name})
            return redirect(f"{request.path}{scope.suffix}")
    context = {
        "scope": scope,
        "section": "follow-ups",
        "is_manager": request.actor.has_role(Role.STORE_MANAGER),
        "rows": _rows(request, scope.location.pk),
        "open_follow_ups": list(selectors.team_follow_ups(scope.location.pk)[:200]),
        "team": _team(scope.location.pk),
        "count_days": COUNT_DAYS,
        "form": form,
        "today": timezone.localdate(),
        "tomorrow": timezone.localdate() + timedelta(days=1),
        "kinds": FollowUpKind.choices,
    }
    return render(request, "web/manager/follow_ups/board.html", context, status=422 if form.errors else 200)
