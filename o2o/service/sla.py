"""The SLA clock (docs/service.md, "SLA"): due times counted in a team's business hours.

A team's business hours are its BusinessHours rows: intervals of local wall-clock time
(settings.TIME_ZONE) on weekdays 0 (Monday) .. 6 (Sunday), several a day if it closes for lunch.
A team without rows, or no team, works around the clock. Arithmetic is done on UTC instants
(each interval's ends are placed in the local zone, then converted), so a zone with daylight
saving counts the hour it loses or gains correctly; Asia/Shanghai has none.

Due times are computed when the clock starts (a ticket opened, its type or priority changed) and
moved on when a pause ends, and stored on the ticket, so the inbox sorts and filters in SQL
(`sla_state_expression`). A policy edited later applies to tickets whose clock starts later.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Case, CharField, F, Q, Value, When
from django.db.models.functions import Coalesce

from o2o.access.actors import Actor
from o2o.access.permissions import Operation, authorize
from o2o.core.errors import DomainError, ErrorCode, not_found
from o2o.service.defaults import default_policies
from o2o.service.models import BusinessHours, SlaPolicy
from o2o.staff.models import Team


class SlaStatus:
    MET = "met"
    ON_TRACK = "on_track"
    DUE_SOON = "due_soon"
    BREACHED = "breached"


STATUSES = (SlaStatus.MET, SlaStatus.ON_TRACK, SlaStatus.DUE_SOON, SlaStatus.BREACHED)

# Days looked at before giving up: a schedule with rows has time every week, so only a due time
# years away would get here.
_HORIZON_DAYS = 366 * 5


@dataclass(frozen=True)
class Schedule:
    """Opening intervals by weekday, sorted and merged; empty = around the clock."""

    by_weekday: dict[int, tuple[tuple[time, time], ...]]

    @property
    def always_open(self) -> bool:
        return not self.by_weekday

    def intervals_from(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        """The open intervals (UTC instants) that end after `start`, in order, clipped to it."""
        zone = ZoneInfo(settings.TIME_ZONE)
        day = start.astimezone(zone).date()
        for offset in range(_HORIZON_DAYS):
            current = day + timedelta(days=offset)
            for opens, closes in self.by_weekday.get(current.weekday(), ()):
                begin, end = _instant(current, opens, zone), _instant(current, closes, zone)
                if end > start:
                    yield max(begin, start), end
        raise ValueError("no business hours within the horizon")  # pragma: no cover


def _instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def _merged(intervals: list[tuple[time, time]]) -> tuple[tuple[time, time], ...]:
    merged: list[tuple[time, time]] = []
    for opens, closes in sorted(intervals):
        if merged and opens <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], closes))
        else:
            merged.append((opens, closes))
    return tuple(merged)


def schedule_for(team_id: int | None) -> Schedule:
    if team_id is None:
        return Schedule({})
    rows: dict[int, list[tuple[time, time]]] = {}
    for weekday, opens, closes in BusinessHours.objects.filter(team_id=team_id).values_list(
        "weekday", "opens", "closes"
    ):
        rows.setdefault(weekday, []).append((opens, closes))
    return Schedule({weekday: _merged(intervals) for weekday, intervals in rows.items()})


def add_business_time(schedule: Schedule, start: datetime, amount: timedelta) -> datetime:
    """The instant `amount` of business time after `start` (start itself may be outside hours:
    the clock then starts at the next opening). Returns UTC."""
    start = start.astimezone(UTC)
    if schedule.always_open:
        return start + amount
    if amount <= timedelta(0):
        return start
    remaining = amount
    for begin, end in schedule.intervals_from(start):
        if end - begin >= remaining:
            return begin + remaining
        remaining -= end - begin
    raise AssertionError("unreachable")  # pragma: no cover


def business_time_between(schedule: Schedule, start: datetime, end: datetime) -> timedelta:
    """How much business time passed from `start` to `end` (zero if end is not after start)."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end <= start:
        return timedelta(0)
    if schedule.always_open:
        return end - start
    passed = timedelta(0)
    for begin, close in schedule.intervals_from(start):
        if begin >= end:
            break
        passed += min(close, end) - begin
    return passed


def due_times(*, kind: str, priority: str, team_id: int | None, start: datetime) -> tuple[datetime, datetime]:
    """(first response due, resolution due): the SlaPolicy's minutes counted in the team's
    business hours from `start`."""
    policy = _policy(kind, priority)
    schedule = schedule_for(team_id)
    return (
        add_business_time(schedule, start, timedelta(minutes=policy.first_response_minutes)),
        add_business_time(schedule, start, timedelta(minutes=policy.resolution_minutes)),
    )


def shifted_after_pause(*, team_id: int | None, due: datetime, paused_at: datetime, resumed_at: datetime) -> datetime:
    """A due time moved on by the business minutes that passed while the ticket waited on the
    customer (between paused_at and resumed_at)."""
    schedule = schedule_for(team_id)
    return add_business_time(schedule, due, business_time_between(schedule, paused_at, resumed_at))


def _status(*, due: datetime, done_at: datetime | None, now: datetime, warn: timedelta) -> str:
    if done_at is not None:
        return SlaStatus.MET if done_at <= due else SlaStatus.BREACHED
    if now > due:
        return SlaStatus.BREACHED
    return SlaStatus.DUE_SOON if now >= due - warn else SlaStatus.ON_TRACK


def sla_status(ticket, now: datetime) -> str:
    """Returns "met" | "on_track" | "due_soon" | "breached": the first response until it is given, then
    the resolution. The clock stands still while the ticket waits on the customer (its state is
    read at the moment it paused, and nothing is "due soon" while it stands). A ticket annotated by
    `with_sla_state` answers without a query."""
    if (annotated := getattr(ticket, "sla_state", None)) is not None:
        return annotated
    if ticket.paused_at is not None:
        at, warn = ticket.paused_at, timedelta(0)
    else:
        at, warn = now, timedelta(minutes=_warn_minutes(ticket.kind, ticket.priority))
    if ticket.first_response_at is None:
        return _status(due=ticket.first_response_due_at, done_at=None, now=at, warn=warn)
    return _status(due=ticket.resolution_due_at, done_at=ticket.resolved_at, now=at, warn=warn)


def _warn_minutes(kind: str, priority: str) -> int:
    return _policy(kind, priority).warn_before_minutes


def _policy(kind: str, priority: str) -> SlaPolicy:
    """The pair's policy; a missing pair is put back from the defaults (as the migration seeded it)."""
    policy = SlaPolicy.objects.filter(kind=kind, priority=priority).first()
    if policy is None:
        _put_back_default_policies()
        policy = SlaPolicy.objects.get(kind=kind, priority=priority)
    return policy


def _put_back_default_policies() -> None:
    """Missing (kind, priority) pairs get their default row again; existing rows stay as HQ set them."""
    SlaPolicy.objects.bulk_create([SlaPolicy(**row) for row in default_policies()], ignore_conflicts=True)


def policy_warnings() -> list[tuple[str, str, int]]:
    """(kind, priority, warn_before_minutes) of every policy, missing pairs put back first (one
    query when none is missing)."""
    rows = list(SlaPolicy.objects.values_list("kind", "priority", "warn_before_minutes"))
    if len(rows) < len(default_policies()):
        _put_back_default_policies()
        rows = list(SlaPolicy.objects.values_list("kind", "priority", "warn_before_minutes"))
    return rows


def _warn_groups() -> dict[int, Q]:
    """Policies grouped by their warning minutes: {minutes: Q(kind, priority) | ...}."""
    groups: dict[int, Q] = {}
    for kind, priority, warn in policy_warnings():
        groups[warn] = groups.get(warn, Q(pk__in=[])) | Q(kind=kind, priority=priority)
    return groups


def sla_state_expression(now: datetime) -> Case:
    """`sla_status` as one SQL expression (one query for the policies, then none per ticket)."""
    at = Coalesce(F("paused_at"), Value(now))
    unanswered = Q(first_response_at__isnull=True)
    resolved = Q(resolved_at__isnull=False)
    due_soon = Q(pk__in=[])  # never, until a policy's group is added
    for warn, pairs in _warn_groups().items():
        soon = now + timedelta(minutes=warn)
        due_soon |= (
            pairs
            & Q(paused_at__isnull=True)
            & ((unanswered & Q(first_response_due_at__lte=soon)) | (~unanswered & Q(resolution_due_at__lte=soon)))
        )
    return Case(
        When(unanswered & Q(first_response_due_at__lt=at), then=Value(SlaStatus.BREACHED)),
        When(unanswered & due_soon, then=Value(SlaStatus.DUE_SOON)),
        When(unanswered, then=Value(SlaStatus.ON_TRACK)),
        When(resolved & Q(resolved_at__lte=F("resolution_due_at")), then=Value(SlaStatus.MET)),
        When(resolved, then=Value(SlaStatus.BREACHED)),
        When(Q(resolution_due_at__lt=at), then=Value(SlaStatus.BREACHED)),
        When(due_soon, then=Value(SlaStatus.DUE_SOON)),
        default=Value(SlaStatus.ON_TRACK),
        output_field=CharField(),
    )


def breached_q(now: datetime) -> Q:
    """Tickets whose current target is breached (the inbox's "breached" filter), index-friendly:
    each branch compares one stored due time with a constant or the pause time."""
    not_paused, paused = Q(paused_at__isnull=True), Q(paused_at__isnull=False)
    first = Q(first_response_at__isnull=True) & (
        (not_paused & Q(first_response_due_at__lt=now)) | (paused & Q(first_response_due_at__lt=F("paused_at")))
    )
    resolution = Q(first_response_at__isnull=False) & (
        Q(resolved_at__gt=F("resolution_due_at"))
        | Q(resolved_at__isnull=True)
        & ((not_paused & Q(resolution_due_at__lt=now)) | (paused & Q(resolution_due_at__lt=F("paused_at"))))
    )
    return first | resolution


def with_sla_state(queryset, now: datetime):
    """The tickets annotated with `sla_state` (what `sla_status` returns for each)."""
    return queryset.annotate(sla_state=sla_state_expression(now))


# Management (HQ): the targets and the hours. A change applies to tickets whose clock starts (or
# restarts: a new type or priority) afterwards; due times already stored stay as they were.

MAX_MINUTES = 60 * 24 * 365  # a year
MAX_INTERVALS_A_DAY = 6


@dataclass(frozen=True)
class PolicyMinutes:
    first_response_minutes: int
    resolution_minutes: int
    warn_before_minutes: int


@dataclass(frozen=True)
class Interval:
    weekday: int  # 0 Monday .. 6 Sunday
    opens: time
    closes: time


def _check_minutes(minutes: PolicyMinutes) -> None:
    first, resolution, warn = minutes.first_response_minutes, minutes.resolution_minutes, minutes.warn_before_minutes
    if not 1 <= first <= MAX_MINUTES or not 1 <= resolution <= MAX_MINUTES:
        raise DomainError(ErrorCode.INVALID, f"targets are 1 to {MAX_MINUTES} minutes")
    if resolution < first:
        raise DomainError(ErrorCode.INVALID, "the resolution target cannot come before the first response")
    if not 0 <= warn < first:
        raise DomainError(
            ErrorCode.INVALID, "the warning comes before the first response is due (0 to its minutes - 1)"
        )


@transaction.atomic(durable=True)
def set_policy(*, actor: Actor, kind: str, priority: str, minutes: PolicyMinutes) -> SlaPolicy:
    """HQ sets a type and priority's targets (the policy of every pair exists: seeded)."""
    authorize(actor, Operation.MANAGE_SLA)
    _check_minutes(minutes)
    changed = SlaPolicy.objects.filter(kind=kind, priority=priority).update(
        first_response_minutes=minutes.first_response_minutes,
        resolution_minutes=minutes.resolution_minutes,
        warn_before_minutes=minutes.warn_before_minutes,
    )
    if not changed:
        raise not_found("SLA policy")
    return SlaPolicy.objects.get(kind=kind, priority=priority)


def _check_intervals(intervals: list[Interval]) -> None:
    by_day: dict[int, list[Interval]] = {}
    for interval in intervals:
        if not 0 <= interval.weekday <= 6:
            raise DomainError(ErrorCode.INVALID, "a weekday is 0 (Monday) to 6 (Sunday)", weekday=interval.weekday)
        if interval.closes <= interval.opens:
            raise DomainError(ErrorCode.INVALID, "an interval closes after it opens", weekday=interval.weekday)
        by_day.setdefault(interval.weekday, []).append(interval)
    for weekday, day in by_day.items():
        if len(day) > MAX_INTERVALS_A_DAY:
            raise DomainError(ErrorCode.INVALID, f"at most {MAX_INTERVALS_A_DAY} intervals a day", weekday=weekday)
        day.sort(key=lambda i: i.opens)
        if any(later.opens < earlier.closes for earlier, later in zip(day, day[1:], strict=False)):
            raise DomainError(ErrorCode.INVALID, "intervals of a day may not overlap", weekday=weekday)


def team_for_hours(*, actor: Actor, team_id: int, for_update: bool = False) -> Team:
    authorize(actor, Operation.MANAGE_SLA)
    teams = Team.objects.select_for_update() if for_update else Team.objects.all()
    if (team := teams.filter(pk=team_id).first()) is None:
        raise not_found("team")
    return team


@transaction.atomic(durable=True)
def set_business_hours(*, actor: Actor, team_id: int, intervals: list[Interval]) -> list[BusinessHours]:
    """Replace a team's business hours (none: around the clock). The team's row is locked so two
    editors replace them one after the other."""
    _check_intervals(intervals)
    team = team_for_hours(actor=actor, team_id=team_id, for_update=True)
    BusinessHours.objects.filter(team=team).delete()
    return BusinessHours.objects.bulk_create(
        BusinessHours(team=team, weekday=i.weekday, opens=i.opens, closes=i.closes)
        for i in sorted(intervals, key=lambda i: (i.weekday, i.opens))
    )


def policies(*, actor: Actor) -> list[SlaPolicy]:
    authorize(actor, Operation.VIEW_SERVICE_REPORTS)
    return list(SlaPolicy.objects.order_by("kind", "priority"))


def business_hours(*, actor: Actor, team_id: int) -> list[BusinessHours]:
    team = team_for_hours(actor=actor, team_id=team_id)
    return list(BusinessHours.objects.filter(team=team).order_by("weekday", "opens"))
