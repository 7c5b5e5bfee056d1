"""Opening incidents, carrying out their standard remedies and closing them (docs/incidents.md).

Opening: the system opens an incident where it sees the failure (a pick shortage, a failed
delivery, an uncollected pickup: handlers.py, in the publisher's transaction; late preparation or
delivery: the sweep), staff open one by hand for what the customer reports. One incident per
(order, kind, line): the insert is ON CONFLICT DO NOTHING, so an event seen twice opens one.

Remedies: each runs in one transaction with the IncidentAction that records it. Lock order: the
order row first (`o2o.orders.locks.lock_order`), then the incident row, then whatever the other
app's service locks (lines, stock, tenders; a coupon template's quota). A remedy under an
Idempotency-Key already used on the incident returns the first action and does nothing again;
refunded units can never pass the incident's units (conditional UPDATE + CHECK).
"""

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from o2o.access.actors import Actor
from o2o.access.permissions import Operation, authorize
from o2o.catalog.models import SKU
from o2o.core.codes import new_token
from o2o.core.errors import DomainError, ErrorCode, not_found
from o2o.core.money import to_money
from o2o.coupons import services as coupons
from o2o.incidents.catalogue import CATALOGUE, IncidentKind, RemedyKind
from o2o.incidents.models import WORKING, ActionKind, Incident, IncidentAction, IncidentState, Outcome
from o2o.notifications.services import notify_incident
from o2o.orders.exchanges import substitute_missing_units
from o2o.orders.locks import lock_order
from o2o.orders.models import Order, OrderLine
from o2o.orders.states import HANDED_OVER, PAID_NOT_HANDED_OVER
from o2o.payments import services as payments

MAX_NOTE = 500
MAX_KEY = 80
OPENED_KEY = "opened"  # the OPENED action's key: one per incident, however often the opener runs


# --- opening ------------------------------------------------------------------------------------


def open_automatically(
    *,
    kind: str,
    order: Order,
    line: OrderLine | None = None,
    quantity: int = 0,
    detail: str = "",
    actor_id: int | None = None,
    now: datetime | None = None,
) -> Incident:
    """Open the incident of `kind` for the order (and line) unless it is open already: INSERT ... ON
    CONFLICT DO NOTHING, then read the one row there is. Runs in the caller's transaction."""
    failure = CATALOGUE[kind]
    now = now or timezone.now()
    Incident.objects.bulk_create(
        [
            Incident(
                kind=kind,
                step=failure.step,
                order_id=order.pk,
                line_id=line.pk if line is not None else None,
                location_id=order.fulfilment_location_id,
                remedy=failure.remedy,
                quantity=quantity,
                detail=detail[:255],
                opened_by_id=actor_id,
                opened_at=now,
                due_by=now + failure.window,
            )
        ],
        ignore_conflicts=True,
    )
    incident = Incident.objects.get(order_id=order.pk, kind=kind, line_id=line.pk if line is not None else None)
    IncidentAction.objects.bulk_create(
        [
            IncidentAction(
                incident=incident,
                kind=ActionKind.OPENED,
                actor_id=actor_id,
                quantity=quantity or None,
                note=detail[:MAX_NOTE],
                key=OPENED_KEY,
            )
        ],
        ignore_conflicts=True,
    )
    return incident


def open_incident(
    *, actor: Actor, order_id: int, kind: str, line_id: int | None = None, quantity: int = 0, detail: str = ""
) -> Incident:
    """Staff open an incident by hand (a wrong or damaged item the customer reports, a late
    delivery the customer calls about...). A second one of the same kind for the same order and
    line is refused (409, naming the first)."""
    if kind not in CATALOGUE:
        raise DomainError(ErrorCode.INVALID, "unknown incident type", kind=str(kind))
    detail = _note(detail)
    with transaction.atomic(durable=True):
        order = lock_order(order_id)
        authorize(actor, Operation.OPEN_INCIDENT, location_id=order.fulfilment_location_id)
        line = _line_and_units(order, kind, line_id, quantity)
        existing = Incident.objects.filter(order=order, kind=kind, line=line).first()
        if existing is not None:
            raise DomainError(ErrorCode.CONFLICT, "this incident is open already", incident_id=existing.pk)
        return open_automatically(
            kind=kind, order=order, line=line, quantity=quantity, detail=detail, actor_id=actor.user_id
        )


def _line_and_units(order: Order, kind: str, line_id: int | None, quantity: int) -> OrderLine | None:
    if not CATALOGUE[kind].needs_line:
        if line_id is not None or quantity:
            raise DomainError(ErrorCode.INVALID, "this incident concerns the whole order: no line, no units")
        return None
    line = OrderLine.objects.filter(pk=line_id, order=order).first() if isinstance(line_id, int) else None
    if line is None:
        raise DomainError(ErrorCode.INVALID, "name a line of this order")
    if not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= line.quantity:
        raise DomainError(ErrorCode.INVALID, f"name 1 to {line.quantity} units of the line")
    return line


def open_late(*, kind: str, orders_late: list[Order], now: datetime | None = None) -> int:
    """The sweep's part: one incident per late order (those open already are left alone)."""
    opened = 0
    now = now or timezone.now()
    for order in orders_late:
        with transaction.atomic():
            incident = open_automatically(kind=kind, order=order, now=now)
            opened += incident.opened_at == now
    return opened


# --- reading one for a change -------------------------------------------------------------------


def _incident_for(actor: Actor, incident_id: int, operation: Operation) -> Incident:
    """The incident if the actor may do `operation` on it; a store's staff only at their own store
    (another store's incident answers 404, like one that does not exist)."""
    incident = Incident.objects.filter(pk=incident_id).first() if isinstance(incident_id, int) else None
    if incident is None:
        raise not_found("incident")
    if actor.is_staff and not actor.can_see_location(incident.location_id):
        raise not_found("incident")
    authorize(actor, operation, location_id=incident.location_id)
    return incident


def _locked(actor: Actor, incident_id: int, operation: Operation) -> tuple[Order, Incident]:
    """Inside the use case's transaction: the order row first, then the incident row."""
    order_id = _incident_for(actor, incident_id, operation).order_id
    order = lock_order(order_id)
    incident = Incident.objects.select_for_update(of=("self",)).get(pk=incident_id)
    return order, incident


def _working(incident: Incident) -> None:
    if incident.state not in WORKING:
        raise DomainError(ErrorCode.ILLEGAL_TRANSITION, "the incident is closed", state=incident.state)


def _note(note: object) -> str:
    note = note.strip() if isinstance(note, str) else ""
    if len(note) > MAX_NOTE:
        raise DomainError(ErrorCode.INVALID, f"a note has at most {MAX_NOTE} characters")
    return note


def _key(key: str | None) -> str:
    if key is None:
        return f"once:{new_token()}"[:MAX_KEY]
    if not isinstance(key, str) or not 1 <= len(key) <= MAX_KEY:
        raise DomainError(ErrorCode.INVALID, f"an Idempotency-Key has 1 to {MAX_KEY} characters")
    return key


def _replay(incident: Incident, key: str, kind: str) -> IncidentAction | None:
    first = IncidentAction.objects.filter(incident=incident, key=key).first()
    if first is not None and first.kind != kind:
        raise DomainError(ErrorCode.IDEMPOTENCY_CONFLICT, "this idempotency key was used for another action")
    return first


def _remedied(incident: Incident, now: datetime) -> None:
    Incident.objects.filter(pk=incident.pk, state__in=WORKING).update(
        state=IncidentState.REMEDIED, remedied_at=F("remedied_at") if incident.remedied_at else now
    )


def _tell_customer(incident: Incident, order: Order, action: IncidentAction, remedy: Callable[[], str]) -> None:
    """Tell the member what was done through their notifications (their language and channels, sent
    after commit; once per action), recorded on the incident. A walk-in's order or an anonymised
    member has nobody to tell: nothing is sent or recorded."""
    notification = notify_incident(order=order, reference=f"incident-action:{action.pk}", remedy=remedy)
    if notification is None:
        return
    IncidentAction.objects.create(
        incident=incident,
        kind=ActionKind.CUSTOMER_TOLD,
        actor_id=action.actor_id,
        reference=f"notification:{notification.pk}",
        note=notification.text[:MAX_NOTE],
    )


# --- remedies -----------------------------------------------------------------------------------


def refund_units(*, actor: Actor, incident_id: int, quantity: int, key: str | None = None) -> IncidentAction:
    """Money back for `quantity` of the incident's units of its line: before hand-over they are no
    longer owed (payments.refund_missing_units_locked: the reservation shrinks); after it they come
    back as a return (payments.refund_goods_locked, as a counter return). Never more units than the
    incident concerns, whatever was refunded before (409)."""
    key = _key(key)
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
        raise DomainError(ErrorCode.INVALID, "name a positive number of units")
    with transaction.atomic(durable=True):
        order, incident = _locked(actor, incident_id, Operation.WORK_INCIDENTS)
        if (first := _replay(incident, key, ActionKind.REFUNDED)) is not None:
            return first
        _working(incident)
        if incident.line_id is None:
            raise DomainError(ErrorCode.INVALID, "this incident concerns no line to refund")
        if incident.actions.filter(kind=ActionKind.SUBSTITUTE_ACCEPTED).exists():
            raise DomainError(ErrorCode.CONFLICT, "the customer took a substitute for these units")
        if not Incident.objects.filter(pk=incident.pk, refunded_quantity__lte=F("quantity") - quantity).update(
            refunded_quantity=F("refunded_quantity") + quantity
        ):
            raise DomainError(
                ErrorCode.RETURN_EXCEEDS_SOLD,
                "more units than the incident concerns",
                left=incident.quantity - incident.refunded_quantity,
            )
        reason = f"incident {incident.pk}: {incident.get_kind_display()}"
        refunds = _refund(actor, order, incident.line_id, quantity, reason)
        amount = to_money(sum((r.amount for r in refunds), Decimal(0)))
        Incident.objects.filter(pk=incident.pk).update(refunded_amount=F("refunded_amount") + amount)
        action = IncidentAction.objects.create(
            incident=incident,
            kind=ActionKind.REFUNDED,
            actor_id=actor.user_id,
            quantity=quantity,
            amount=amount,
            reference=f"refund:{refunds[0].pk}" if refunds else "",
            key=key,
        )
        _remedied(incident, action.at)
        _tell_customer(
            incident,
            order,
            action,
            lambda: (
                _("%(units)s unit(s) could not be supplied; %(amount)s is on its way back to how you paid.")
                % {"units": quantity, "amount": amount}
            ),
        )
        return action


def _refund(actor: Actor, order: Order, line_id: int, quantity: int, reason: str) -> list:
    if order.state in PAID_NOT_HANDED_OVER:
        return payments.refund_missing_units_locked(
            actor=actor, order=order, line_id=line_id, quantity=quantity, reason=reason
        )
    if order.state in HANDED_OVER:
        authorize(actor, Operation.RETURN_GOODS, location_id=order.fulfilment_location_id)
        return payments.refund_goods_locked(
            actor_id=actor.user_id, order=order, returned={line_id: quantity}, reason=reason
        )
    raise DomainError(
        ErrorCode.ILLEGAL_TRANSITION, f"an order that is {order.state} takes no refund", state=order.state
    )


def grant_apology_coupon(*, actor: Actor, incident_id: int, template_id: int, key: str | None = None) -> IncidentAction:
    """An apology coupon of `template_id` for the order's member (coupons.grant_remedy_coupon, whose
    reference is the incident). One per incident: a retry under the same key returns the first
    action; asked again under another key it is refused (409) and nothing is written."""
    key = _key(key)
    if not isinstance(template_id, int) or isinstance(template_id, bool):
        raise DomainError(ErrorCode.INVALID, "name the coupon template")
    with transaction.atomic(durable=True):
        order, incident = _locked(actor, incident_id, Operation.WORK_INCIDENTS)
        if (first := _replay(incident, key, ActionKind.COUPON_GRANTED)) is not None:
            return first
        _working(incident)
        if order.member_id is None:
            raise DomainError(ErrorCode.INVALID, "an apology coupon needs an order of a member")
        # Once per incident: a second ask under another key (a double click on a fresh form) is
        # refused before anything is written; the partial UNIQUE index is the last guard.
        if (granted := incident.actions.filter(kind=ActionKind.COUPON_GRANTED).first()) is not None:
            raise DomainError(ErrorCode.CONFLICT, "an apology coupon was granted already", action_id=granted.pk)
        coupon = coupons.grant_remedy_coupon(
            actor=actor, template_id=template_id, member_id=order.member_id, reason=f"incident:{incident.pk}"
        )
        action = IncidentAction.objects.create(
            incident=incident,
            kind=ActionKind.COUPON_GRANTED,
            actor_id=actor.user_id,
            reference=f"coupon:{coupon.pk}",
            key=key,
        )
        _remedied(incident, action.at)
        _tell_customer(
            incident, order, action, lambda: _("We are sorry: an apology coupon has been added to your account.")
        )
        return action


def arrange_redelivery(*, actor: Actor, incident_id: int, note: str, key: str | None = None) -> IncidentAction:
    """Deliver again: the instruction is recorded on the incident (what goes out, and when) for the
    store that fulfils the order, and the customer is told. No replacement order is invented."""
    key = _key(key)
    note = _note(note)
    if not note:
        raise DomainError(ErrorCode.INVALID, "say what is to be delivered again, and when")
    return _record(
        actor,
        incident_id,
        ActionKind.REDELIVERY,
        key=key,
        note=note,
        remedy=True,
        tell=lambda: _("We will deliver it to you again."),
    )


def offer_substitute(*, actor: Actor, incident_id: int, sku_id: int, note: str = "") -> IncidentAction:
    """Offer the customer another product in place of the incident's units; nothing is swapped
    until the customer agrees (record_substitute_answer)."""
    note = _note(note)
    sku = SKU.objects.filter(pk=sku_id).first() if isinstance(sku_id, int) and not isinstance(sku_id, bool) else None
    if sku is None:
        raise DomainError(ErrorCode.UNKNOWN_SKU, "unknown product", sku_id=sku_id)
    return _record(
        actor, incident_id, ActionKind.SUBSTITUTE_OFFERED, key=_key(None), note=note, sku=sku, needs_line=True
    )


def record_substitute_answer(*, actor: Actor, incident_id: int, accepted: bool, note: str = "") -> IncidentAction:
    """The customer's answer to the last substitute offered. Only a yes swaps: the store hands over
    the substitute in place of the missing units, at the line's price (recorded here)."""
    if not isinstance(accepted, bool):
        raise DomainError(ErrorCode.INVALID, "say whether the customer accepted")
    note = _note(note)
    with transaction.atomic(durable=True):
        order, incident = _locked(actor, incident_id, Operation.WORK_INCIDENTS)
        _working(incident)
        offers = IncidentAction.objects.filter(incident=incident, kind__in=SUBSTITUTE_KINDS).order_by("-at", "-pk")
        last = offers.first()
        if last is None or last.kind != ActionKind.SUBSTITUTE_OFFERED:
            raise DomainError(ErrorCode.ILLEGAL_TRANSITION, "no substitute offer is waiting for an answer")
        kind = ActionKind.SUBSTITUTE_ACCEPTED if accepted else ActionKind.SUBSTITUTE_DECLINED
        action = IncidentAction.objects.create(
            incident=incident,
            kind=kind,
            actor_id=actor.user_id,
            sku_id=last.sku_id,
            quantity=incident.quantity or None,
            note=note,
        )
        if accepted:
            _swap_in_substitute(actor, order, incident, action, last.sku_id)
            _remedied(incident, action.at)
            _tell_customer(
                incident,
                order,
                action,
                lambda: (
                    _("We will hand over %(sku)s in place of the missing item, as you agreed.") % {"sku": last.sku.name}
                ),
            )
        return action


def _swap_in_substitute(actor: Actor, order: Order, incident: Incident, action: IncidentAction, sku_id: int) -> None:
    """Before hand-over the units not refunded go out as the substitute: its stock is held in their
    place (orders.exchanges); after hand-over the store hands it over by hand and records it here."""
    units = incident.quantity - incident.refunded_quantity
    if order.state in PAID_NOT_HANDED_OVER and incident.line_id is not None and units > 0:
        substitute_missing_units(order=order, line_id=incident.line_id, quantity=units, sku_id=sku_id,
                                 actor_id=actor.user_id, key=f"incident-{incident.pk}-{action.pk}")  # fmt: skip


SUBSTITUTE_KINDS = (ActionKind.SUBSTITUTE_OFFERED, ActionKind.SUBSTITUTE_ACCEPTED, ActionKind.SUBSTITUTE_DECLINED)


def record_contact(*, actor: Actor, incident_id: int, note: str) -> IncidentAction:
    """Staff called or wrote to the customer (the no-show's standard remedy): what was said."""
    note = _note(note)
    if not note:
        raise DomainError(ErrorCode.INVALID, "say what the customer was told")
    return _record(actor, incident_id, ActionKind.CUSTOMER_CONTACTED, key=_key(None), note=note, remedy=True)


def _record(
    actor: Actor,
    incident_id: int,
    kind: str,
    *,
    key: str,
    note: str,
    sku: SKU | None = None,
    remedy: bool = False,
    needs_line: bool = False,
    tell: Callable[[], str] | None = None,
) -> IncidentAction:
    with transaction.atomic(durable=True):
        order, incident = _locked(actor, incident_id, Operation.WORK_INCIDENTS)
        if (first := _replay(incident, key, kind)) is not None:
            return first
        _working(incident)
        if needs_line and incident.line_id is None:
            raise DomainError(ErrorCode.INVALID, "this incident concerns no line")
        if sku is not None and OrderLine.objects.filter(pk=incident.line_id, sku=sku).exists():
            raise DomainError(ErrorCode.INVALID, "offer another product than the one missing", field="sku_id")
        action = IncidentAction.objects.create(
            incident=incident,
            kind=kind,
            actor_id=actor.user_id,
            sku=sku,
            note=note,
            key=key,
            quantity=(incident.quantity or None) if sku is not None else None,
        )
        if remedy:
            _remedied(incident, action.at)
        if tell is not None:
            _tell_customer(incident, order, action, tell)
        return action


# --- closing ------------------------------------------------------------------------------------


def close_incident(*, actor: Actor, incident_id: int, outcome: str, note: str = "") -> Incident:
    """Close with an outcome (resolved, the customer declined, nothing was needed): the end of the
    incident's track. A closed incident takes no more actions (409)."""
    if outcome not in Outcome.values:
        raise DomainError(ErrorCode.INVALID, "unknown outcome", outcome=str(outcome))
    note = _note(note)
    with transaction.atomic(durable=True):
        _order, incident = _locked(actor, incident_id, Operation.WORK_INCIDENTS)
        _working(incident)
        now = timezone.now()
        Incident.objects.filter(pk=incident.pk, state__in=WORKING).update(
            state=IncidentState.CLOSED, closed_at=now, closed_by_id=actor.user_id, outcome=outcome, outcome_note=note
        )
        IncidentAction.objects.create(
            incident=incident, kind=ActionKind.CLOSED, actor_id=actor.user_id, note=note, reference=outcome
        )
        incident.refresh_from_db()
        return incident


__all__ = [
    "IncidentKind",
    "RemedyKind",
    "arrange_redelivery",
    "close_incident",
    "grant_apology_coupon",
    "offer_substitute",
    "open_automatically",
    "open_incident",
    "open_late",
    "record_contact",
    "record_substitute_answer",
    "refund_units",
]
