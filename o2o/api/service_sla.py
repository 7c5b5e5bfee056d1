"""SLA targets, business hours and customer service reports (docs/service.md, "SLA", "Reports").

HQ edits a ticket type and priority's targets and a team's business hours; a change applies to
tickets whose clock starts afterwards. HQ and customer service read the policies and the report.
"""

from datetime import datetime, time
from typing import Annotated, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field, StrictInt

from o2o.api.auth import actor
from o2o.api.types import Id
from o2o.service import reports, sla

router = Router(tags=["customer service: SLA and reports"])

Kind = Literal["inquiry", "complaint", "after_sale", "suggestion", "praise"]
Priority = Literal["low", "normal", "high", "urgent"]
Minutes = Annotated[StrictInt, Field(ge=0, le=sla.MAX_MINUTES)]


class PolicyIn(Schema):
    first_response_minutes: Minutes
    resolution_minutes: Minutes
    warn_before_minutes: Minutes = Field(
        description="Warn this many minutes before a breach (below the first response)"
    )


class PolicyOut(Schema):
    kind: str
    priority: str
    first_response_minutes: int
    resolution_minutes: int
    warn_before_minutes: int


class IntervalIn(Schema):
    weekday: Annotated[StrictInt, Field(ge=0, le=6, description="0 Monday .. 6 Sunday")]
    opens: time = Field(description="Local time, HH:MM")
    closes: time = Field(description="Local time, HH:MM; after opens (no overnight intervals)")


class HoursIn(Schema):
    intervals: list[IntervalIn] = Field(max_length=7 * sla.MAX_INTERVALS_A_DAY, description="None: around the clock")


class IntervalOut(Schema):
    weekday: int
    opens: time
    closes: time


class HoursOut(Schema):
    team_id: int
    around_the_clock: bool
    intervals: list[IntervalOut]


class PeriodIn(Schema):
    since: datetime = Field(description="With a time zone; tickets opened from then")
    until: datetime = Field(description="With a time zone; tickets opened before then (at most 366 days later)")


class AttainmentOut(Schema):
    met: int
    breached: int
    met_percent: float | None
    breached_percent: float | None


class GroupOut(Schema):
    id: int | None
    name: str
    tickets: int
    first_response: AttainmentOut
    resolution: AttainmentOut
    satisfaction_average: float | None
    satisfaction_count: int


class BucketOut(Schema):
    label: str
    tickets: int


class DistributionOut(Schema):
    answered: int
    buckets: list[BucketOut] = Field(description="Minutes to the first response: <1, 1-5, 5-15, 15-60, >60")
    p50_seconds: int | None
    p90_seconds: int | None


class ReportOut(Schema):
    since: datetime
    until: datetime
    now: datetime
    by_team: list[GroupOut]
    by_agent: list[GroupOut]
    first_response_times: DistributionOut
    backlog: list[BucketOut] = Field(description="Open tickets by age: <1h, 1-4h, 4-24h, 1-3d, >3d")
    backlog_total: int


def _hours(team_id: int, rows) -> HoursOut:
    intervals = [IntervalOut(weekday=r.weekday, opens=r.opens, closes=r.closes) for r in rows]
    return HoursOut(team_id=team_id, around_the_clock=not intervals, intervals=intervals)


@router.get("/sla/policies", response=list[PolicyOut])
def list_policies(request: HttpRequest):
    """Every ticket type and priority's targets, in business minutes of the ticket's team."""
    return sla.policies(actor=actor(request))


@router.put("/sla/policies/{kind}/{priority}", response=PolicyOut)
def put_policy(request: HttpRequest, kind: Kind, priority: Priority, payload: PolicyIn):
    """Set a type and priority's targets; tickets opened afterwards follow them."""
    minutes = sla.PolicyMinutes(**payload.dict())
    return sla.set_policy(actor=actor(request), kind=kind, priority=priority, minutes=minutes)


@router.get("/teams/{team_id}/business-hours", response=HoursOut)
def get_hours(request: HttpRequest, team_id: Id):
    return _hours(team_id, sla.business_hours(actor=actor(request), team_id=team_id))


@router.put("/teams/{team_id}/business-hours", response=HoursOut)
def put_hours(request: HttpRequest, team_id: Id, payload: HoursIn):
    """Replace a team's business hours (an empty list: around the clock)."""
    intervals = [sla.Interval(weekday=i.weekday, opens=i.opens, closes=i.closes) for i in payload.intervals]
    return _hours(team_id, sla.set_business_hours(actor=actor(request), team_id=team_id, intervals=intervals))


@router.get("/reports/sla", response=ReportOut)
def sla_report(request: HttpRequest, period: Query[PeriodIn]):
    """SLA attainment by team and agent, first-response times, backlog by age, satisfaction."""
    report = reports.service_report(actor=actor(request), since=period.since, until=period.until)
    distribution = report.first_response_times
    return ReportOut(
        since=report.since,
        until=report.until,
        now=report.now,
        by_team=[_group(row) for row in report.by_team],
        by_agent=[_group(row) for row in report.by_agent],
        first_response_times=DistributionOut(
            answered=distribution.answered,
            buckets=[BucketOut(label=label, tickets=n) for label, n in distribution.buckets],
            p50_seconds=distribution.p50_seconds,
            p90_seconds=distribution.p90_seconds,
        ),
        backlog=[BucketOut(label=label, tickets=n) for label, n in report.backlog],
        backlog_total=report.backlog_total,
    )


def _attainment(a: reports.Attainment) -> AttainmentOut:
    return AttainmentOut(met=a.met, breached=a.breached, met_percent=a.met_percent, breached_percent=a.breached_percent)


def _group(row: reports.GroupRow) -> GroupOut:
    return GroupOut(
        id=row.id,
        name=row.name,
        tickets=row.tickets,
        first_response=_attainment(row.first_response),
        resolution=_attainment(row.resolution),
        satisfaction_average=row.satisfaction_average,
        satisfaction_count=row.satisfaction_count,
    )
