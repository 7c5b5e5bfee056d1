"""Complaints: the solution and date promised to the customer, and remedies carried out through the
apps that own the money or the goods (docs/service.md, "Complaints and remedies").

Who: customer service (chain-wide) and HQ; store staff only on a ticket escalated to their own store
(`PROMISE_SOLUTION`, `CARRY_OUT_REMEDY`).

Lock order: the ticket row first (`SELECT ... FOR UPDATE`), then the other app's rows in that app's
own order: for a refund the order row (`o2o.orders.locks.lock_order`), then its lines, stock and
tenders exactly as a counter return takes them; for a coupon the template's quota row. Nothing locks
an order and then a ticket, so the two orders cannot cross.

A remedy and what it produced (the coupon, the refunds) commit together in one transaction: a
failure anywhere writes nothing. `Remedy.key` is the caller's Idempotency-Key: a retry (even racing
the first request: it waits on the ticket's lock, then finds the first remedy) returns the first
remedy and grants or pays nothing a second time.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from o2o.access.actors import Actor
from o2o.access.permissions import MEMBER, Operation, authorize, role_of
from o2o.core.codes import new_token
from o2o.core.errors import DomainError, ErrorCode, not_found
from o2o.core.money import to_money
from o2o.coupons import services as coupons
from o2o.orders.locks import lock_order
from o2o.payments import services as payments
from o2o.service.models import (
    AuthorKind,
    Remedy,
    RemedyKind,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketMessage,
    TicketState,
)
from o2o.staff.models import Role

MAX_SOLUTION = 500
MAX_NOTE = 500
MAX_KEY = 80
# A ticket still being worked: a promise or a remedy after resolution would go unseen.
WORKING_STATES = frozenset({TicketState.NEW, TicketState.OPEN, TicketState.WAITING_ON_CUSTOMER, TicketState.ESCALATED})
# Roles that work any ticket; every other staff role only the tickets escalated to its store.
CHAIN_WIDE = frozenset({Role.CS_AGENT, Role.HQ})


def lock_ticket_for(*, actor: Actor, ticket_id: int, operation: Operation) -> Ticket:
    """The ticket row, locked, if the actor may do `operation` on it: customer service and HQ any
    ticket; store staff one escalated to a store they see (anything else answers 404, like a ticket
    that does not exist). Call inside the use case's transaction, before locking anything else."""
    ticket = Ticket.objects.select_for_update(of=("self",)).filter(pk=ticket_id).first()
    role = role_of(actor)
    if ticket is None or role is None or role == MEMBER:
        raise not_found("ticket")
    if actor.system or role in CHAIN_WIDE:
        authorize(actor, operation)
        return ticket
    if ticket.state != TicketState.ESCALATED or not actor.can_see_location(ticket.escalated_to_id):
        raise not_found("ticket")
    authorize(actor, operation, location_id=ticket.escalated_to_id)
    return ticket


def _employee(actor: Actor):
    if actor.employee is None:
        raise DomainError(ErrorCode.FORBIDDEN, "only an employee acts on tickets")
    return actor.employee


def _working(ticket: Ticket) -> None:
    if ticket.state not in WORKING_STATES:
        raise DomainError(
            ErrorCode.ILLEGAL_TRANSITION,
            f"a ticket that is {ticket.state} takes no promise or remedy",
            state=ticket.state,
        )


def _tell_customer(ticket: Ticket, body: str) -> None:
    TicketMessage.objects.create(ticket=ticket, author_kind=AuthorKind.SYSTEM, body=body)


# --- the promise ---------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def promise_solution(*, actor: Actor, ticket_id: int, solution: str, promised_by: datetime) -> Ticket:
    """Record what was promised to the customer and by when, tell the customer in the conversation,
    and keep it in the history (a changed promise is a new PROMISED event naming the old one).
    The date may not be in the past (422); a resolved or closed ticket takes no promise (409)."""
    solution = (solution or "").strip() if isinstance(solution, str) else ""
    if not 1 <= len(solution) <= MAX_SOLUTION:
        raise DomainError(ErrorCode.INVALID, f"describe the solution in 1 to {MAX_SOLUTION} characters")
    if not isinstance(promised_by, datetime) or timezone.is_naive(promised_by):
        raise DomainError(ErrorCode.INVALID, "the promised date needs a time zone")
    if promised_by < timezone.now():
        raise DomainError(ErrorCode.INVALID, "the promised date is in the past")
    ticket = lock_ticket_for(actor=actor, ticket_id=ticket_id, operation=Operation.PROMISE_SOLUTION)
    employee = _employee(actor)
    _working(ticket)
    previous = (
        {"solution": ticket.promised_solution, "promised_by": ticket.promised_by.isoformat()}
        if ticket.promised_by
        else None
    )
    Ticket.objects.filter(pk=ticket.pk).update(promised_solution=solution, promised_by=promised_by)
    ticket.promised_solution, ticket.promised_by = solution, promised_by
    TicketEvent.objects.create(
        ticket=ticket,
        kind=TicketEventKind.PROMISED,
        actor=employee,
        detail={"solution": solution, "promised_by": promised_by.isoformat(), "previous": previous},
    )
    when = date_format(timezone.localtime(promised_by), "DATETIME_FORMAT")
    _tell_customer(ticket, _("Our promise: %(solution)s, by %(when)s.") % {"solution": solution, "when": when})
    return ticket


# --- remedies ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RemedyRequest:
    """What to do. `coupon`: the apology coupon's template. `refund`: the returned units per order
    line of the ticket's order (None: everything left), paid back tender by tender. `redelivery`:
    the instruction to the store (`note`) for the ticket's order."""

    kind: str
    template_id: int | None = None
    lines: dict[int, int] | None = None
    note: str = ""


def carry_out_remedy(*, actor: Actor, ticket_id: int, request: RemedyRequest, key: str | None) -> Remedy:
    """Carry out a remedy through the app that owns it, in one transaction with the Remedy row and
    its REMEDIED event; a retry under the same key returns the first remedy (409 if it asked for
    another kind). Without a key the request simply runs (like `run_once`): a retry is a second remedy."""
    if key is None:
        key = f"once:{new_token()}"[:MAX_KEY]
    if not isinstance(key, str) or not 1 <= len(key) <= MAX_KEY:
        raise DomainError(ErrorCode.INVALID, f"an Idempotency-Key has 1 to {MAX_KEY} characters")
    if request.kind not in RemedyKind.values:
        raise DomainError(ErrorCode.INVALID, "unknown remedy", kind=str(request.kind))
    note = (request.note or "").strip()
    if len(note) > MAX_NOTE:
        raise DomainError(ErrorCode.INVALID, f"a note has at most {MAX_NOTE} characters")
    with transaction.atomic(durable=True):
        ticket = lock_ticket_for(actor=actor, ticket_id=ticket_id, operation=Operation.CARRY_OUT_REMEDY)
        employee = _employee(actor)
        if (first := Remedy.objects.filter(ticket=ticket, key=key).first()) is not None:
            if first.kind != request.kind:
                raise DomainError(ErrorCode.IDEMPOTENCY_CONFLICT, "this idempotency key was used for another remedy")
            return first
        _working(ticket)
        if request.kind == RemedyKind.COUPON:
            amount, reference, body = _coupon(actor, ticket, request, key)
        elif request.kind == RemedyKind.REFUND:
            amount, reference, body = _refund(actor, ticket, request, note)
        else:
            amount, reference, body = _redelivery(ticket, note)
        remedy = Remedy.objects.create(
            ticket=ticket, kind=request.kind, amount=amount, reference=reference, note=note, by=employee, key=key
        )
        TicketEvent.objects.create(
            ticket=ticket,
            kind=TicketEventKind.REMEDIED,
            actor=employee,
            detail={
                "remedy_id": remedy.pk,
                "kind": remedy.kind,
                "reference": reference,
                "amount": str(amount) if amount is not None else None,
            },
        )
        _tell_customer(ticket, body)
        return remedy


def _coupon(actor: Actor, ticket: Ticket, request: RemedyRequest, key: str):
    if ticket.member_id is None:
        raise DomainError(ErrorCode.INVALID, "an apology coupon needs a ticket of a member")
    if not isinstance(request.template_id, int) or isinstance(request.template_id, bool):
        raise DomainError(ErrorCode.INVALID, "name the coupon template")
    coupon = coupons.grant_remedy_coupon(
        actor=actor, template_id=request.template_id, member_id=ticket.member_id, reason=f"ticket:{ticket.number}:{key}"
    )
    return None, f"coupon:{coupon.pk}", _("An apology coupon has been added to your account.")


def _refund(actor: Actor, ticket: Ticket, request: RemedyRequest, note: str):
    """The goods named come back and their money goes back tender by tender, the way a counter
    return does it (payments.refund_goods_locked): what was paid for them is the
    most that can go back, and a refund those apps refuse is their error, with nothing written."""
    if ticket.order_id is None:
        raise DomainError(ErrorCode.INVALID, "a refund needs a ticket about an order")
    order = lock_order(ticket.order_id)
    reason = f"complaint {ticket.number}" + (f": {note}" if note else "")
    refunds = payments.refund_goods_locked(
        actor_id=actor.user_id, order=order, returned=request.lines, reason=reason[:200]
    )
    if not refunds:
        raise DomainError(ErrorCode.INVALID, "nothing paid for these goods to give back")
    amount = to_money(sum((refund.amount for refund in refunds), Decimal(0)))
    body = _("A refund of %(amount)s for order %(order)s is on its way back to how you paid.") % {
        "amount": amount,
        "order": order.number,
    }
    return amount, f"refund:{refunds[0].pk}", body


def _redelivery(ticket: Ticket, note: str):
    """No replacement order is invented: the instruction to the store that fulfils the ticket's order
    is recorded on the ticket (the store works it like any escalation) and the customer is told."""
    if ticket.order_id is None:
        raise DomainError(ErrorCode.INVALID, "a re-delivery needs a ticket about an order")
    if not note:
        raise DomainError(ErrorCode.INVALID, "say what is to be delivered again, and how")
    number = ticket.order.number
    return None, f"order:{number}", _("We will deliver order %(order)s to you again.") % {"order": number}
