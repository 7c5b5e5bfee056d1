"""Reads of incidents for the API and the pages: a store's list (staff of the store see only
theirs), one incident with its actions, and HQ's counts by type, store and step for a period."""

from datetime import datetime

from django.db.models import BooleanField, Case, Count, Q, QuerySet, Value, When
from django.utils import timezone

from o2o.access.actors import Actor
from o2o.access.permissions import Operation, authorize
from o2o.core.errors import not_found
from o2o.incidents.models import WORKING, Incident


def overdue_q(now: datetime) -> Q:
    """Not closed and past the time to act."""
    return Q(state__in=WORKING, due_by__lt=now)


def _visible(actor: Actor) -> QuerySet[Incident]:
    authorize(actor, Operation.VIEW_INCIDENTS)
    incidents = Incident.objects.all()
    if actor.location_ids is not None:
        incidents = incidents.filter(location_id__in=actor.location_ids)
    return incidents


def _with_overdue(incidents: QuerySet[Incident], now: datetime) -> QuerySet[Incident]:
    return incidents.annotate(
        overdue=Case(When(overdue_q(now), then=Value(True)), default=Value(False), output_field=BooleanField())
    )


def incidents_for(
    *,
    actor: Actor,
    state: str | None = None,
    location_id: int | None = None,
    kind: str | None = None,
    overdue_only: bool = False,
    now: datetime | None = None,
) -> QuerySet[Incident]:
    """Newest first, each with `overdue`; the order, line, location and opener come along."""
    now = now or timezone.now()
    incidents = _visible(actor)
    if state:
        incidents = incidents.filter(state=state)
    if location_id is not None:
        incidents = incidents.filter(location_id=location_id)
    if kind:
        incidents = incidents.filter(kind=kind)
    if overdue_only:
        incidents = incidents.filter(overdue_q(now))
    return (
        _with_overdue(incidents, now)
        .select_related("order", "line__sku", "location", "opened_by")
        .order_by("-opened_at", "-pk")
    )


def get_incident_for(*, actor: Actor, incident_id: int, now: datetime | None = None) -> Incident:
    """One incident with its actions; the same 404 for missing and another store's."""
    incident = (
        incidents_for(actor=actor, now=now)
        .prefetch_related("actions__actor", "actions__sku")
        .filter(pk=incident_id)
        .first()
    )
    if incident is None:
        raise not_found("incident")
    return incident


def counts(*, actor: Actor, since: datetime, until: datetime, now: datetime | None = None) -> dict:
    """Incidents opened in [since, until): how many by type, by store and by step, and how many
    of them are open past their time to act (HQ's page)."""
    now = now or timezone.now()
    opened = _visible(actor).filter(opened_at__gte=since, opened_at__lt=until)

    def by(*fields: str) -> list[dict]:
        return list(
            opened.values(*fields)
            .annotate(
                total=Count("pk"),
                open=Count("pk", filter=Q(state__in=WORKING)),
                overdue=Count("pk", filter=overdue_q(now)),
            )
            .order_by("-total", *fields)
        )

    return {
        "total": opened.count(),
        "overdue": opened.filter(overdue_q(now)).count(),
        "by_kind": by("kind"),
        "by_location": by("location_id", "location__name"),
        "by_step": by("step"),
    }
