"""Reads of follow-up visits and their surveys: the queue, one visit in the actor's scope, and the
satisfaction scores the owner's view credits to employees and teams (docs/aftercare.md)."""

from datetime import date, datetime

from django.db.models import Avg, Count, Q, QuerySet
from django.utils import timezone

from o2o.access.actors import Actor
from o2o.aftercare.models import FollowUpPolicy, FollowUpVisit, SurveyResponse, VisitState


def _visible(actor: Actor) -> Q:
    """Chain-wide roles see every visit; a store's staff only their store's visits."""
    if actor.location_ids is None:
        return Q()
    return Q(location_id__in=actor.location_ids)


def _with_context(queryset: QuerySet[FollowUpVisit]) -> QuerySet[FollowUpVisit]:
    return queryset.select_related("member", "order", "ticket", "location", "assigned_to", "survey")


def visit_queue(
    *, actor: Actor, due_by: date | None = None, channel: str | None = None, mine: bool = False
) -> QuerySet[FollowUpVisit]:
    """Open visits due by `due_by` (today) that the actor may work, oldest due first. `mine`: only
    the ones the actor has claimed."""
    due_by = due_by or timezone.localdate()
    queryset = FollowUpVisit.objects.filter(_visible(actor), state=VisitState.OPEN, due_on__lte=due_by)
    if channel:
        queryset = queryset.filter(channel=channel)
    if mine:
        queryset = queryset.filter(assigned_to=actor.employee)
    return _with_context(queryset).order_by("due_on", "pk")


def visit_for(*, actor: Actor, visit_id: int) -> FollowUpVisit | None:
    """The visit if the actor may see it (missing and not theirs look the same: None)."""
    return _with_context(FollowUpVisit.objects.filter(_visible(actor), pk=visit_id)).first()


def visits_of_member(member_id: int) -> QuerySet[FollowUpVisit]:
    """A member's visits, newest first (the customer 360 page)."""
    return _with_context(FollowUpVisit.objects.filter(member_id=member_id)).order_by("-created_at", "-pk")


def policies() -> QuerySet[FollowUpPolicy]:
    return FollowUpPolicy.objects.select_related("category").order_by("category__name", "pk")


def _scores(
    field: str, ids: list[int] | set[int] | None, start: datetime | None, end: datetime | None
) -> dict[int, tuple[float, int]]:
    queryset = SurveyResponse.objects.filter(**{f"{field}__isnull": False})
    if ids is not None:
        queryset = queryset.filter(**{f"{field}__in": list(ids)})
    if start is not None:
        queryset = queryset.filter(answered_at__gte=start)
    if end is not None:
        queryset = queryset.filter(answered_at__lt=end)
    rows = queryset.values(field).annotate(average=Avg("score"), count=Count("pk")).order_by(field)
    return {row[field]: (round(float(row["average"]), 2), row["count"]) for row in rows}


def scores_by_employee(
    *, employee_ids: list[int] | set[int] | None = None, start: datetime | None = None, end: datetime | None = None
) -> dict[int, tuple[float, int]]:
    """{employee id: (average score rounded to 2 places, number of answers)} of the surveys
    answered in [start, end) that rate the employee; one GROUP BY. Employees without answers are absent."""
    return _scores("rated_employee_id", employee_ids, start, end)


def scores_by_team(
    *, team_ids: list[int] | set[int] | None = None, start: datetime | None = None, end: datetime | None = None
) -> dict[int, tuple[float, int]]:
    """{team id: (average score, number of answers)}, as scores_by_employee."""
    return _scores("rated_team_id", team_ids, start, end)
