"""The SLA sweep (docs/service.md, "SLA"): every 30 seconds, record a WARNING for each target
about to be missed and a BREACH for each target missed, each once per ticket and target.

A target is the first response (while nobody has answered) and the resolution (while the ticket
is new, open or escalated). A warning is due from `due - warn_before_minutes` until the due time;
a sweep that first sees a ticket after its due time records only the breach. A ticket waiting on
the customer is skipped: its clock stands still, and its due times move on when it resumes.

Bulk: one query per (target, kind) finds the candidates (index on the due time, NOT EXISTS on the
alert), and one INSERT ... ON CONFLICT DO NOTHING RETURNING per batch writes them, so a retried or
concurrent sweep writes nothing twice (the unique constraint `slaalert_once` decides) and only
the sweep whose row went in notifies.

Notification: staff records carry no phone number, so the assignee hears by e-mail when their
user account has an address (outbox, after commit); otherwise the alert row is the notice (the
agent's inbox and the reports read it).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q, Value
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from o2o.core.messaging import queue_message
from o2o.service import sla
from o2o.service.models import SlaAlert, SlaAlertKind, SlaTarget, Ticket, TicketState
from o2o.staff.models import Employee

RUNNING = [TicketState.NEW, TicketState.OPEN, TicketState.ESCALATED]  # the clock runs (not paused, not done)
BATCH = 1000
_DUE = {SlaTarget.FIRST_RESPONSE: "first_response_due_at", SlaTarget.RESOLUTION: "resolution_due_at"}
_ALERT_COLUMNS = ("ticket_id", "target", "kind", "due_at", "at", "assignee_id", "team_id")


@dataclass(frozen=True)
class Recorded:
    ticket_id: int
    target: str
    kind: str


def _open_for(target: str) -> Q:
    q = Q(state__in=RUNNING, paused_at__isnull=True)
    return q & Q(first_response_at__isnull=True) if target == SlaTarget.FIRST_RESPONSE else q


def _warning_window(due: str, now: datetime) -> Q:
    """due - warn_before <= now <= due, by the ticket's policy (grouped by warning minutes)."""
    window = Q(pk__in=[])
    for kind, priority, warn in sla.policy_warnings():
        window |= Q(kind=kind, priority=priority, **{f"{due}__lte": now + timedelta(minutes=warn)})
    return window & Q(**{f"{due}__gte": now})


def _candidates(target: str, kind: str, now: datetime):
    due = _DUE[target]
    reached = Q(**{f"{due}__lt": now}) if kind == SlaAlertKind.BREACH else _warning_window(due, now)
    recorded = SlaAlert.objects.filter(ticket=OuterRef("pk"), target=target, kind=kind)
    return (
        Ticket.objects.filter(_open_for(target), reached)
        .filter(~Exists(recorded))
        .annotate(alert_target=Value(target), alert_kind=Value(kind), alert_due=F(due))
        .values_list("pk", "alert_target", "alert_kind", "alert_due", "assignee_id", "team_id", "number")
    )


def _insert(rows: list[tuple], now: datetime) -> list[Recorded]:
    """INSERT the alerts, skipping any another sweep wrote first; returns those this one wrote."""
    ops, table = connection.ops, SlaAlert._meta.db_table
    placeholders = ", ".join(["(" + ", ".join(["%s"] * len(_ALERT_COLUMNS)) + ")"] * len(rows))
    sql = (
        f"INSERT INTO {ops.quote_name(table)} ({', '.join(ops.quote_name(c) for c in _ALERT_COLUMNS)}) "
        f"VALUES {placeholders} ON CONFLICT (ticket_id, target, kind) DO NOTHING "
        f"RETURNING ticket_id, target, kind"
    )
    at = ops.adapt_datetimefield_value(now)
    params = [
        value
        for ticket_id, target, kind, due, assignee_id, team_id in rows
        for value in (ticket_id, target, kind, ops.adapt_datetimefield_value(due), at, assignee_id, team_id)
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [Recorded(*row) for row in cursor.fetchall()]


def _notify(recorded: list[Recorded], tickets: dict[int, tuple[str, int | None]]) -> None:
    assignees = {tickets[r.ticket_id][1] for r in recorded} - {None}
    emails = dict(Employee.objects.filter(pk__in=assignees).exclude(user__email="").values_list("pk", "user__email"))
    texts = {
        (SlaTarget.FIRST_RESPONSE, SlaAlertKind.WARNING): _("Ticket %(number)s: the first response is due soon."),
        (SlaTarget.FIRST_RESPONSE, SlaAlertKind.BREACH): _("Ticket %(number)s: the first response is overdue."),
        (SlaTarget.RESOLUTION, SlaAlertKind.WARNING): _("Ticket %(number)s: the resolution is due soon."),
        (SlaTarget.RESOLUTION, SlaAlertKind.BREACH): _("Ticket %(number)s: the resolution is overdue."),
    }
    for r in recorded:
        number, assignee_id = tickets[r.ticket_id]
        if email := emails.get(assignee_id):
            text = texts[(r.target, r.kind)] % {"number": number}
            queue_message(channel="email", recipient=email, subject=text, body=text)


@transaction.atomic(durable=True)
def sweep_sla(now: datetime | None = None) -> list[Recorded]:
    """Record the warnings and breaches due at `now`; returns what this sweep recorded."""
    now = now or timezone.now()
    recorded: list[Recorded] = []
    tickets: dict[int, tuple[str, int | None]] = {}
    for target in SlaTarget.values:
        for kind in SlaAlertKind.values:
            rows = list(_candidates(target, kind, now))
            for row in rows:
                tickets[row[0]] = (row[6], row[4])
            for start in range(0, len(rows), BATCH):
                recorded += _insert([row[:6] for row in rows[start : start + BATCH]], now)
    if recorded:
        _notify(recorded, tickets)
    return recorded


@task()
def sweep_sla_task() -> int:
    return len(sweep_sla())
