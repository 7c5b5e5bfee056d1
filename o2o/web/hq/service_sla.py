"""HQ: customer service's SLA settings (/hq/service-sla/, docs/service_pages.md). The targets of
every ticket type and priority (first response, resolution, warning lead, in business minutes) and
each online or store team's business hours (several intervals a weekday). Writes go through
o2o.service.sla.set_policy / set_business_hours, as PUT /api/v1/service/sla/... do; a rule they
refuse is a form error (422) and nothing is written. Only HQ (Operation.MANAGE_SLA)."""

from datetime import time

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from o2o.access.permissions import Operation, authorize
from o2o.core.errors import DomainError, ErrorCode
from o2o.core.ids import MAX_ID
from o2o.service import sla
from o2o.service.models import BusinessHours, TicketKind, TicketPriority
from o2o.staff.models import Team
from o2o.web.auth import refusals_as_http, staff_page

T = "web/hq/service_sla/page.html"
WEEKDAYS = [
    gettext_lazy("Monday"),
    gettext_lazy("Tuesday"),
    gettext_lazy("Wednesday"),
    gettext_lazy("Thursday"),
    gettext_lazy("Friday"),
    gettext_lazy("Saturday"),
    gettext_lazy("Sunday"),
]
EDITABLE_TEAMS = (Team.Kind.ONLINE, Team.Kind.STORE)
MAX_TEAMS_SHOWN = 500


class PolicyForm(forms.Form):
    kind = forms.ChoiceField(choices=TicketKind.choices)
    priority = forms.ChoiceField(choices=TicketPriority.choices)
    first_response_minutes = forms.IntegerField(
        label=gettext_lazy("First response (minutes)"), min_value=1, max_value=sla.MAX_MINUTES
    )
    resolution_minutes = forms.IntegerField(
        label=gettext_lazy("Resolution (minutes)"), min_value=1, max_value=sla.MAX_MINUTES
    )
    warn_before_minutes = forms.IntegerField(
        label=gettext_lazy("Warn before (minutes)"), min_value=0, max_value=sla.MAX_MINUTES
    )


def _parse_day(text: str) -> list[tuple[time, time]]:
    """`09:00-12:00, 13:30-18:00` (blank: closed that day)."""
    intervals = []
    for part in text.replace("，", ",").split(","):
        if not part.strip():
            continue
        opens, sep, closes = part.strip().partition("-")
        try:
            if not sep:
                raise ValueError(part)
            intervals.append((time.fromisoformat(opens.strip()), time.fromisoformat(closes.strip())))
        except ValueError as error:
            raise forms.ValidationError(_("Write intervals as 09:00-12:00, 13:00-18:00.")) from error
    return intervals


class HoursForm(forms.Form):
    """A team's week: one field a weekday, intervals separated by commas; every day blank: around the clock."""

    team = forms.IntegerField(min_value=1, max_value=MAX_ID, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for weekday, label in enumerate(WEEKDAYS):
            self.fields[f"day_{weekday}"] = forms.CharField(label=label, max_length=200, required=False)

    def day_fields(self) -> list:
        return [self[f"day_{weekday}"] for weekday in range(7)]

    def intervals(self) -> list[sla.Interval]:
        """The week's intervals; a day that does not parse gets its error (then returns [])."""
        found = []
        for weekday in range(7):
            name = f"day_{weekday}"
            try:
                parsed = _parse_day(self.cleaned_data.get(name, ""))
            except forms.ValidationError as error:
                self.add_error(name, error)
                continue
            found += [sla.Interval(weekday=weekday, opens=opens, closes=closes) for opens, closes in parsed]
        return found


def _policy_error(error: DomainError) -> str:
    if error.code == ErrorCode.INVALID:
        return _(
            "Targets are 1 to %(max)s minutes, resolution no sooner than the first response, and the warning "
            "less than the first response's minutes."
        ) % {"max": sla.MAX_MINUTES}
    return error.message


def _hours_error(error: DomainError) -> str:
    if error.code == ErrorCode.INVALID:
        return _(
            "Each interval closes after it opens, intervals of a day do not overlap, and at most %(max)s a day."
        ) % {"max": sla.MAX_INTERVALS_A_DAY}
    return error.message


def _teams():
    return Team.objects.filter(kind__in=EDITABLE_TEAMS).select_related("location").order_by("kind", "name", "pk")


def _hours_text(rows: list[BusinessHours]) -> dict[int, str]:
    by_day: dict[int, list[str]] = {}
    for row in rows:
        by_day.setdefault(row.weekday, []).append(f"{row.opens:%H:%M}-{row.closes:%H:%M}")
    return {weekday: ", ".join(parts) for weekday, parts in by_day.items()}


def _team_rows() -> list[dict]:
    teams = list(_teams()[:MAX_TEAMS_SHOWN])
    rows: dict[int, list[BusinessHours]] = {team.pk: [] for team in teams}
    for hours in BusinessHours.objects.filter(team_id__in=rows).order_by("team_id", "weekday", "opens"):
        rows[hours.team_id].append(hours)
    return [
        {"team": team, "days": [(WEEKDAYS[d], text) for d, text in sorted(_hours_text(rows[team.pk]).items())]}
        for team in teams
    ]


def _hours_form_for(request: HttpRequest, team_id: int) -> HoursForm:
    rows = sla.business_hours(actor=request.actor, team_id=team_id)  # a missing team: 404
    initial = {"team": team_id} | {f"day_{d}": text for d, text in _hours_text(rows).items()}
    return HoursForm(initial=initial)


def _render(request: HttpRequest, *, policy_form=None, hours_form=None, status: int = 200) -> HttpResponse:
    policies = sla.policies(actor=request.actor)
    failed = policy_form.cleaned_data if policy_form is not None and hasattr(policy_form, "cleaned_data") else {}
    edited_team = None
    if hours_form is not None:
        team_id = hours_form.data.get("team") or hours_form.initial.get("team")
        edited_team = _teams().filter(pk=team_id).first()
    context = {
        "policies": policies,
        "policy_form": policy_form,
        "failed_pair": (failed.get("kind"), failed.get("priority")),
        "teams": _team_rows(),
        "hours_form": hours_form,
        "edited_team": edited_team,
    }
    return render(request, T, context, status=status)


def _hq(request: HttpRequest) -> None:
    authorize(request.actor, Operation.MANAGE_SLA)


@staff_page()
@refusals_as_http
def page(request: HttpRequest) -> HttpResponse:
    _hq(request)
    hours_form = None
    raw = request.GET.get("team", "")
    if raw:
        if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_ID:
            raise Http404
        if not _teams().filter(pk=int(raw)).exists():
            raise Http404
        hours_form = _hours_form_for(request, int(raw))
    return _render(request, hours_form=hours_form)


@require_POST
@staff_page()
@refusals_as_http
def save_policy(request: HttpRequest) -> HttpResponse:
    _hq(request)
    form = PolicyForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        minutes = sla.PolicyMinutes(
            first_response_minutes=data["first_response_minutes"],
            resolution_minutes=data["resolution_minutes"],
            warn_before_minutes=data["warn_before_minutes"],
        )
        try:
            sla.set_policy(actor=request.actor, kind=data["kind"], priority=data["priority"], minutes=minutes)
        except DomainError as error:
            if error.code in (ErrorCode.FORBIDDEN, ErrorCode.NOT_FOUND):
                raise
            form.add_error(None, _policy_error(error))
    if not form.is_valid():
        return _render(request, policy_form=form, status=422)
    messages.success(request, _("Targets saved. Tickets opened from now on follow them."))
    return redirect("web:hq-service-sla")


@require_POST
@staff_page()
@refusals_as_http
def save_hours(request: HttpRequest) -> HttpResponse:
    _hq(request)
    form = HoursForm(request.POST)
    if not form.is_valid():
        if form.has_error("team"):
            raise Http404
        return _render(request, hours_form=form, status=422)
    team_id = form.cleaned_data["team"]
    if not _teams().filter(pk=team_id).exists():
        raise Http404
    intervals = form.intervals()
    if form.is_valid():
        try:
            sla.set_business_hours(actor=request.actor, team_id=team_id, intervals=intervals)
        except DomainError as error:
            if error.code in (ErrorCode.FORBIDDEN, ErrorCode.NOT_FOUND):
                raise
            weekday = error.extra.get("weekday")
            form.add_error(f"day_{weekday}" if weekday in range(7) else None, _hours_error(error))
    if not form.is_valid():
        return _render(request, hours_form=form, status=422)
    messages.success(request, _("Business hours saved. Tickets opened from now on follow them."))
    return redirect(f"{reverse('web:hq-service-sla')}?team={team_id}")


urlpatterns = [  # added to o2o/web/hq/urls.py with one line
    path("service-sla/", page, name="hq-service-sla"),
    path("service-sla/policies/", save_policy, name="hq-service-sla-policy"),
    path("service-sla/hours/", save_hours, name="hq-service-sla-hours"),
]
