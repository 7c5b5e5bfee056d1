"""Customer service reports (docs/service.md, "Reports"): SLA attainment by team and by agent, the
first-response time distribution, the backlog by age, satisfaction scores.

Over a period, the tickets opened in it ([since, until)), counted where they stand now. A target is
met when it was done by its due time, breached when done late or still not done after it (a
ticket waiting on the customer is judged at the moment it paused), and neither while it is
still running. Tickets are grouped by their team and their assignee as they are now (a ticket
reassigned counts for whoever has it). Six queries whatever the number of tickets: two GROUP BYs,
one aggregate for the distribution and one for each percentile (ORDER BY .. OFFSET: nearest rank,
the same on SQLite and PostgreSQL), one for the backlog.
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from o2o.access.actors import Actor
from o2o.access.permissions import Operation, authorize
from o2o.core.errors import DomainError, ErrorCode
from o2o.service.models import Ticket, TicketState

MAX_PERIOD = timedelta(days=366)
# first response within ... minutes: label, upper bound (exclusive; None: no bound)
RESPONSE_BUCKETS = [
    ("<1", timedelta(minutes=1)),
    ("1-5", timedelta(minutes=5)),
    ("5-15", timedelta(minutes=15)),
    ("15-60", timedelta(minutes=60)),
    (">60", None),
]
BACKLOG_BUCKETS = [
    ("<1h", timedelta(hours=1)),
    ("1-4h", timedelta(hours=4)),
    ("4-24h", timedelta(hours=24)),
    ("1-3d", timedelta(days=3)),
    (">3d", None),
]
DONE = [TicketState.RESOLVED, TicketState.CLOSED]
NO_TEAM = _("no team")
NOBODY = _("unassigned")


@dataclass(frozen=True)
class Attainment:
    met: int
    breached: int

    @property
    def decided(self) -> int:
        return self.met + self.breached

    @property
    def met_percent(self) -> float | None:
        return round(100 * self.met / self.decided, 1) if self.decided else None

    @property
    def breached_percent(self) -> float | None:
        return round(100 * self.breached / self.decided, 1) if self.decided else None


@dataclass(frozen=True)
class GroupRow:
    """One team's or agent's tickets of the period."""

    id: int | None
    name: str
    tickets: int
    first_response: Attainment
    resolution: Attainment
    satisfaction_average: float | None
    satisfaction_count: int


@dataclass(frozen=True)
class Distribution:
    buckets: list[tuple[str, int]]  # label, tickets
    answered: int
    p50_seconds: int | None
    p90_seconds: int | None


@dataclass(frozen=True)
class ServiceReport:
    since: datetime
    until: datetime
    now: datetime
    by_team: list[GroupRow]
    by_agent: list[GroupRow]
    first_response_times: Distribution
    backlog: list[tuple[str, int]]  # age label, open tickets
    backlog_total: int


def _clock_at(now: datetime):
    return Coalesce(F("paused_at"), now)  # the clock stands still while waiting on the customer


def _attainment_aggregates(now: datetime) -> dict:
    at = _clock_at(now)
    answered, resolved = Q(first_response_at__isnull=False), Q(resolved_at__isnull=False)
    return {
        "tickets": Count("pk"),
        "fr_met": Count("pk", filter=answered & Q(first_response_at__lte=F("first_response_due_at"))),
        "fr_breached": Count(
            "pk",
            filter=(answered & Q(first_response_at__gt=F("first_response_due_at")))
            | (~answered & ~Q(state__in=DONE) & Q(first_response_due_at__lt=at)),
        ),
        "res_met": Count("pk", filter=resolved & Q(resolved_at__lte=F("resolution_due_at"))),
        "res_breached": Count(
            "pk",
            filter=(resolved & Q(resolved_at__gt=F("resolution_due_at"))) | (~resolved & Q(resolution_due_at__lt=at)),
        ),
        "score_avg": Avg("satisfaction"),
        "score_count": Count("satisfaction"),
    }


def _grouped(tickets: QuerySet, id_field: str, name_field: str, unnamed: str, now: datetime) -> list[GroupRow]:
    rows = tickets.values(id_field, name_field).annotate(**_attainment_aggregates(now)).order_by(name_field, id_field)
    return [
        GroupRow(
            id=row[id_field],
            name=row[name_field] or str(unnamed),
            tickets=row["tickets"],
            first_response=Attainment(row["fr_met"], row["fr_breached"]),
            resolution=Attainment(row["res_met"], row["res_breached"]),
            satisfaction_average=round(row["score_avg"], 2) if row["score_avg"] is not None else None,
            satisfaction_count=row["score_count"],
        )
        for row in rows
    ]


def _nearest_rank(answered: QuerySet, count: int, percent: int) -> int | None:
    if not count:
        return None
    rank = max(math.ceil(percent / 100 * count), 1)
    taken = answered.order_by("response_time", "pk").values_list("response_time", flat=True)[rank - 1 : rank]
    return int(taken[0].total_seconds())


def _distribution(tickets: QuerySet) -> Distribution:
    answered = tickets.filter(first_response_at__isnull=False).annotate(
        response_time=ExpressionWrapper(F("first_response_at") - F("created_at"), output_field=DurationField())
    )
    counts, lower = {}, None
    for label, upper in RESPONSE_BUCKETS:
        window = Q()
        if lower is not None:
            window &= Q(response_time__gte=lower)
        if upper is not None:
            window &= Q(response_time__lt=upper)
        counts[label] = Count("pk", filter=window) if window else Count("pk")
        lower = upper
    totals = answered.aggregate(answered=Count("pk"), **counts)
    total = totals["answered"]
    return Distribution(
        buckets=[(label, totals[label]) for label, _ in RESPONSE_BUCKETS],
        answered=total,
        p50_seconds=_nearest_rank(answered, total, 50),
        p90_seconds=_nearest_rank(answered, total, 90),
    )


def _backlog(now: datetime) -> tuple[list[tuple[str, int]], int]:
    counts, younger_than = {}, None
    for label, age in BACKLOG_BUCKETS:
        window = Q()
        if younger_than is not None:  # at least the previous bucket's age
            window &= Q(created_at__lte=now - younger_than)
        if age is not None:
            window &= Q(created_at__gt=now - age)
        counts[label] = Count("pk", filter=window)
        younger_than = age
    totals = Ticket.objects.exclude(state__in=DONE).aggregate(total=Count("pk"), **counts)
    return [(label, totals[label]) for label, _ in BACKLOG_BUCKETS], totals["total"]


def check_period(since: datetime, until: datetime) -> None:
    if timezone.is_naive(since) or timezone.is_naive(until):
        raise DomainError(ErrorCode.INVALID, "since and until need a time zone")
    if not since < until:
        raise DomainError(ErrorCode.INVALID, "the period ends after it starts")
    if until - since > MAX_PERIOD:
        raise DomainError(ErrorCode.INVALID, "a report covers at most 366 days")


def service_report(*, actor: Actor, since: datetime, until: datetime, now: datetime | None = None) -> ServiceReport:
    authorize(actor, Operation.VIEW_SERVICE_REPORTS)
    check_period(since, until)
    now = now or timezone.now()
    tickets = Ticket.objects.filter(created_at__gte=since, created_at__lt=until)
    backlog, backlog_total = _backlog(now)
    return ServiceReport(
        since=since,
        until=until,
        now=now,
        by_team=_grouped(tickets, "team_id", "team__name", NO_TEAM, now),
        by_agent=_grouped(tickets, "assignee_id", "assignee__display_name", NOBODY, now),
        first_response_times=_distribution(tickets),
        backlog=backlog,
        backlog_total=backlog_total,
    )
