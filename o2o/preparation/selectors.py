"""Reads of the preparation queue: the store's list, the counter's badge count, the customer's
status block, and the late preparations incidents look for."""

from datetime import datetime

from django.db.models import Prefetch, QuerySet

from o2o.access.actors import Actor
from o2o.access.permissions import Operation, authorize
from o2o.core.errors import DomainError, ErrorCode
from o2o.preparation.models import DONE_STATES, OPEN_STATES, Preparation, PreparationPick, PreparationState

QUEUE_STATES = (*OPEN_STATES, *DONE_STATES)


def queue_location_id(*, actor: Actor, location_id: int | None) -> int:
    """The store whose queue is asked for: the one named, or the actor's own."""
    if location_id is None:
        location_id = actor.employee.home_location_id if actor.employee is not None else None
    if location_id is None:
        raise DomainError(ErrorCode.INVALID, "name the store", field="location_id")
    authorize(actor, Operation.PREPARE_ORDER, location_id=location_id)
    return location_id


def queue(*, actor: Actor, location_id: int | None = None, state: str | None = None) -> QuerySet[Preparation]:
    """The store's preparations still at the store (to prepare, in progress, ready or packed),
    oldest due first, with their order, lines and SKUs. Orders on hold (a group buy filling up)
    wait outside the queue."""
    location_id = queue_location_id(actor=actor, location_id=location_id)
    if state is not None and state not in QUEUE_STATES:
        raise DomainError(ErrorCode.INVALID, "unknown state", field="state")
    rows = Preparation.objects.filter(location_id=location_id, order__on_hold=False)
    rows = rows.filter(state=state) if state is not None else rows.filter(state__in=QUEUE_STATES)
    picks = PreparationPick.objects.select_related("sku__product").order_by("line_id")
    return rows.select_related("order").prefetch_related(Prefetch("picks", queryset=picks)).order_by("due_at", "pk")


def waiting_count(*, location_id: int) -> int:
    """Orders nobody accepted yet at the store: the counter's badge (one COUNT)."""
    return Preparation.objects.filter(
        location_id=location_id, state=PreparationState.TO_PREPARE, order__on_hold=False
    ).count()


def preparation_of_order(*, order_id: int) -> Preparation | None:
    return Preparation.objects.filter(order_id=order_id).first()


def late_preparations(*, now: datetime, location_id: int | None = None) -> QuerySet[Preparation]:
    """Preparations not ready (or packed) by their due time, oldest due first (incidents)."""
    rows = Preparation.objects.filter(state__in=OPEN_STATES, due_at__lt=now, order__on_hold=False)
    if location_id is not None:
        rows = rows.filter(location_id=location_id)
    return rows.select_related("order", "location").order_by("due_at", "pk")
