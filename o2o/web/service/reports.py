"""Customer service reports (/service/reports/, docs/service_pages.md): SLA attainment by team and
by agent, first-response times, the backlog by age and satisfaction over a period of local dates.
The figures come from o2o.service.reports.service_report, as GET /api/v1/service/reports/sla's do;
who may read them is the permission table's VIEW_SERVICE_REPORTS (HQ, CS agents)."""

from datetime import date, datetime, time, timedelta

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from o2o.access.permissions import Operation, authorize
from o2o.core.errors import DomainError
from o2o.service import reports
from o2o.web.auth import refusals_as_http, staff_page

T = "web/service/reports/"
DEFAULT_DAYS = 7


EARLIEST, LATEST = date(2000, 1, 1), date(2999, 12, 31)  # far dates would overflow a datetime in UTC


class PeriodForm(forms.Form):
    since = forms.DateField(label=gettext_lazy("First day"))
    until = forms.DateField(label=gettext_lazy("Last day"))

    def clean(self) -> dict:
        data = super().clean()
        for name in ("since", "until"):
            if name in data and not EARLIEST <= data[name] <= LATEST:
                self.add_error(name, _("A date from %(first)s to %(last)s.") % {"first": EARLIEST, "last": LATEST})
        return data


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def period_of(form: PeriodForm) -> tuple[datetime, datetime] | None:
    """[since 00:00, the day after until 00:00) in local time, or None with the form's error."""
    if not form.is_valid():
        return None
    since, until = _start_of(form.cleaned_data["since"]), _start_of(form.cleaned_data["until"] + timedelta(days=1))
    try:
        reports.check_period(since, until)
    except DomainError:
        form.add_error(
            None,
            _("The period ends on or after the day it starts and covers at most %(days)s days.")
            % {"days": reports.MAX_PERIOD.days},
        )
        return None
    return since, until


def _percent_width(count: int, largest: int) -> int:
    return round(100 * count / largest) if largest else 0


def _minutes(seconds: int | None) -> str:
    if seconds is None:
        return "—"
    return f"{seconds // 60}:{seconds % 60:02d}"


def _overall_satisfaction(rows: list[reports.GroupRow]) -> tuple[float | None, int]:
    """The average score over every group (weighted by the scores each has) and how many."""
    count = sum(row.satisfaction_count for row in rows)
    total = sum(row.satisfaction_average * row.satisfaction_count for row in rows if row.satisfaction_count)
    return (round(total / count, 2) if count else None), count


@staff_page()
@refusals_as_http
def page(request: HttpRequest) -> HttpResponse:
    authorize(request.actor, Operation.VIEW_SERVICE_REPORTS)  # a refusal before reading the form
    today = timezone.localdate()
    data = request.GET if "since" in request.GET or "until" in request.GET else None
    default = {"since": (today - timedelta(days=DEFAULT_DAYS - 1)).isoformat(), "until": today.isoformat()}
    form = PeriodForm(data or default)
    period = period_of(form)
    context: dict = {"form": form, "report": None}
    status = 200
    if period is None:
        status = 422
    else:
        report = reports.service_report(actor=request.actor, since=period[0], until=period[1])
        distribution = report.first_response_times
        largest = max([n for _label, n in distribution.buckets] + [0])
        oldest = max([n for _label, n in report.backlog] + [0])
        context.update(
            report=report,
            response_buckets=[
                {"label": label, "tickets": n, "width": _percent_width(n, largest)} for label, n in distribution.buckets
            ],
            backlog_buckets=[
                {"label": label, "tickets": n, "width": _percent_width(n, oldest)} for label, n in report.backlog
            ],
            p50=_minutes(distribution.p50_seconds),
            p90=_minutes(distribution.p90_seconds),
            satisfaction=_overall_satisfaction(report.by_team),
        )
    return render(request, f"{T}page.html", context, status=status)
