"""The customer 360: one member across online and offline, for customer service, HQ and the
member's stores (docs/customers.md), and staff's hand tags and notes on that member.

Who sees whom: customer service and HQ every member; a store's manager and clerks only members
who bought at their store (sold or fulfilled there) or were signed up by it; anyone else gets the
same 404 as for a member who does not exist. The full phone only for the roles the table names
(VIEW_MEMBER_PHONE); the others see it masked.

`members` sits below `access` and `orders`, so it can neither ask the permission table nor see
where a member bought: the staff-facing writes on tags and notes live here, ask the table, scope
the member, and call `members.services` inside one transaction (with an Idempotency-Key, a retry
gets the first answer back).

The page and the API read everything with a fixed number of queries, however long the history."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Avg, Count, F, Max, Min, Q, Sum
from django.utils import timezone

from o2o.access.actors import Actor
from o2o.access.permissions import Operation, authorize, may
from o2o.aftercare.models import FollowUpVisit, SurveyResponse
from o2o.catalog.models import Channel
from o2o.core.errors import not_found
from o2o.core.idempotency import fingerprint, run_once
from o2o.core.ids import MAX_ID
from o2o.core.money import to_money
from o2o.coupons.models import Coupon, CouponState
from o2o.loyalty.models import PointsAccount
from o2o.loyalty.selectors import pending_points
from o2o.members import selectors as members
from o2o.members import services as member_services
from o2o.members.models import Member, MemberNote, MemberTag
from o2o.members.phones import mask_phone
from o2o.orders.models import PAID_STATES, Order
from o2o.privacy.models import MarketingConsentRecord
from o2o.service.models import Ticket, TicketState
from o2o.wallet import selectors as wallets
from o2o.wallet.selectors import WalletBalance

RECENT = 20  # orders, tickets, coupons and follow-up visits shown
NOTES_SHOWN = 50
ZERO = Decimal("0.00")
OPEN_TICKET_STATES = (TicketState.NEW, TicketState.OPEN, TicketState.WAITING_ON_CUSTOMER, TicketState.ESCALATED)


# --- who may see whom --------------------------------------------------------------------------


def _bought_or_joined_at(member: Member, location_ids: frozenset[int]) -> bool:
    if member.acquiring_location_id in location_ids:
        return True
    at_store = Q(selling_location_id__in=location_ids) | Q(fulfilment_location_id__in=location_ids)
    return Order.objects.filter(member=member, state__in=PAID_STATES).filter(at_store).exists()


def member_for(*, actor: Actor, member_id: int, operation: Operation = Operation.VIEW_CUSTOMER_360) -> Member:
    """The member, if the actor may do `operation` on them; the same 404 for "missing" and "not
    one of your store's customers"."""
    authorize(actor, operation)
    member = None
    if 0 < member_id <= MAX_ID:
        related = ("acquiring_location", "acquiring_employee", "level")
        member = Member.objects.select_related(*related).filter(pk=member_id).first()
    if member is None or (actor.location_ids is not None and not _bought_or_joined_at(member, actor.location_ids)):
        raise not_found("member")
    return member


def find_member(*, actor: Actor, phone: str) -> Member:
    """The search box: a member by phone (any way it is typed), within the actor's scope."""
    authorize(actor, Operation.VIEW_CUSTOMER_360)
    return member_for(actor=actor, member_id=members.member_by_phone(phone=phone).pk)


def full_phone(*, actor: Actor, member_id: int) -> str:
    """The phone in full, for the roles that call customers back."""
    return member_for(actor=actor, member_id=member_id, operation=Operation.VIEW_MEMBER_PHONE).phone


def shown_phone(actor: Actor, member: Member) -> str:
    return member.phone if may(actor, Operation.VIEW_MEMBER_PHONE) else mask_phone(member.phone)


# --- the read model ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ChannelFigures:
    channel: str
    orders: int
    spent: Decimal  # paid, net of refunds


@dataclass(frozen=True)
class OrderTotals:
    by_channel: list[ChannelFigures]
    first_paid_at: datetime | None
    last_paid_at: datetime | None

    @property
    def orders(self) -> int:
        return sum(c.orders for c in self.by_channel)

    @property
    def spent(self) -> Decimal:
        return sum((c.spent for c in self.by_channel), ZERO)

    def _part(self, online: bool) -> list[ChannelFigures]:
        return [c for c in self.by_channel if (c.channel in Channel.online()) == online]

    @property
    def online_orders(self) -> int:
        return sum(c.orders for c in self._part(True))

    @property
    def online_spent(self) -> Decimal:
        return sum((c.spent for c in self._part(True)), ZERO)

    @property
    def in_store_orders(self) -> int:
        return sum(c.orders for c in self._part(False))

    @property
    def in_store_spent(self) -> Decimal:
        return sum((c.spent for c in self._part(False)), ZERO)


@dataclass(frozen=True)
class Customer360:
    member: Member
    phone: str  # in full or masked, by the viewer's role
    orders: list[Order]
    order_totals: OrderTotals
    tickets: list[Ticket]
    open_tickets: int
    all_tickets: int
    coupons: list[Coupon]
    coupons_held: int  # usable now
    coupons_used: int
    visits: list[FollowUpVisit]
    survey_average: Decimal | None
    surveys: int
    tags: list[MemberTag]
    notes: list[MemberNote]
    consent_history: list[MarketingConsentRecord]
    points_available: int
    points_pending: int
    wallet: WalletBalance
    can_tag: bool = False
    can_note: bool = False


def _order_totals(member: Member) -> OrderTotals:
    rows = (
        Order.objects.filter(member=member, state__in=PAID_STATES)
        .order_by()
        .values("channel")
        .annotate(n=Count("pk"), net=Sum(F("total") - F("refunded_total")), first=Min("paid_at"), last=Max("paid_at"))
        .order_by("channel")
    )
    rows = list(rows)
    return OrderTotals(
        by_channel=[
            ChannelFigures(channel=r["channel"], orders=r["n"], spent=to_money(r["net"] or ZERO)) for r in rows
        ],
        first_paid_at=min((r["first"] for r in rows), default=None),
        last_paid_at=max((r["last"] for r in rows), default=None),
    )


def _coupon_counts(member: Member, now: datetime) -> tuple[int, int]:
    counts = Coupon.objects.filter(member=member).aggregate(
        held=Count("pk", filter=Q(state=CouponState.AVAILABLE, valid_from__lte=now, valid_until__gt=now)),
        used=Count("pk", filter=Q(state=CouponState.USED)),
    )
    return counts["held"], counts["used"]


def _ticket_counts(member: Member) -> tuple[int, int]:
    counts = Ticket.objects.filter(member=member).aggregate(
        open=Count("pk", filter=Q(state__in=OPEN_TICKET_STATES)), all=Count("pk")
    )
    return counts["open"], counts["all"]


def _surveys(member: Member) -> tuple[Decimal | None, int]:
    found = SurveyResponse.objects.filter(visit__member=member).aggregate(avg=Avg("score"), n=Count("pk"))
    average = None if found["avg"] is None else Decimal(str(found["avg"])).quantize(Decimal("0.1"))
    return average, found["n"]


def customer_360(*, actor: Actor, member_id: int) -> Customer360:
    member = member_for(actor=actor, member_id=member_id)
    now = timezone.now()
    orders = Order.objects.filter(member=member).select_related("selling_location", "fulfilment_location")
    tickets = Ticket.objects.filter(member=member).select_related("location")
    coupons = Coupon.objects.filter(member=member).select_related("template")
    visits = FollowUpVisit.objects.filter(member=member).select_related("survey", "location")
    consent = MarketingConsentRecord.objects.filter(member=member).order_by("-at", "-pk")
    notes = members.notes_of(member_id=member.pk).select_related("author__employee")
    open_tickets, all_tickets = _ticket_counts(member)
    held, used = _coupon_counts(member, now)
    average, surveys = _surveys(member)
    points = PointsAccount.objects.filter(member=member).values_list("available", flat=True).first() or 0
    return Customer360(
        member=member,
        phone=shown_phone(actor, member),
        orders=list(orders.order_by("-created_at", "-pk")[:RECENT]),
        order_totals=_order_totals(member),
        tickets=list(tickets.order_by("-created_at", "-pk")[:RECENT]),
        open_tickets=open_tickets,
        all_tickets=all_tickets,
        coupons=list(coupons.order_by("-created_at", "-pk")[:RECENT]),
        coupons_held=held,
        coupons_used=used,
        visits=list(visits.order_by("-due_on", "-pk")[:RECENT]),
        survey_average=average,
        surveys=surveys,
        tags=list(members.tags_of(member_id=member.pk)),
        notes=list(notes[:NOTES_SHOWN]),
        consent_history=list(consent[:RECENT]),
        points_available=points,
        points_pending=pending_points(member_id=member.pk),
        wallet=wallets.balance(member_id=member.pk),
        can_tag=may(actor, Operation.TAG_MEMBERS),
        can_note=may(actor, Operation.WRITE_MEMBER_NOTES),
    )


# --- staff's tags and notes --------------------------------------------------------------------


def tag_result(tag: MemberTag, created: bool) -> dict[str, Any]:
    return {
        "member_id": tag.member_id,
        "tag": tag.tag,
        "source": tag.source,
        "added_at": tag.added_at.isoformat(),
        "created": created,
    }


def add_tag(*, actor: Actor, member_id: int, tag: str, idempotency_key: str | None = None) -> dict[str, Any]:
    """Put a tag on by hand (a tag the member has already stays as it is: created is false)."""
    member_for(actor=actor, member_id=member_id, operation=Operation.TAG_MEMBERS)
    cleaned = member_services.clean_tag(tag)

    def perform() -> dict[str, Any]:
        member = Member.objects.select_for_update().get(pk=member_id)  # against a deletion racing us
        found, created = member_services.tag_member(member=member, tag=cleaned, added_by_id=actor.user_id)
        return tag_result(found, created)

    return run_once(
        scope=actor.idempotency_scope,
        operation="tag_member",
        key=idempotency_key,
        fingerprint=fingerprint(member_id=member_id, tag=cleaned),
        perform=perform,
    )


@transaction.atomic(durable=True)
def remove_tag(*, actor: Actor, member_id: int, tag: str) -> None:
    """Take a hand tag off (a rule's tag: 409, it goes with the rule)."""
    member = member_for(actor=actor, member_id=member_id, operation=Operation.TAG_MEMBERS)
    member_services.untag_member(member=member, tag=tag)


def note_result(note: MemberNote) -> dict[str, Any]:
    return {"id": note.pk, "member_id": note.member_id, "body": note.body, "at": note.at.isoformat()}


def add_note(*, actor: Actor, member_id: int, body: str, idempotency_key: str | None = None) -> dict[str, Any]:
    """Append a note; a retry under the same Idempotency-Key appends nothing and answers the same."""
    member_for(actor=actor, member_id=member_id, operation=Operation.WRITE_MEMBER_NOTES)
    cleaned = member_services.clean_note(body)

    def perform() -> dict[str, Any]:
        member = Member.objects.select_for_update().get(pk=member_id)
        return note_result(member_services.note_member(member=member, body=cleaned, author_id=actor.user_id))

    return run_once(
        scope=actor.idempotency_scope,
        operation="note_member",
        key=idempotency_key,
        fingerprint=fingerprint(member_id=member_id, body=cleaned),
        perform=perform,
    )
