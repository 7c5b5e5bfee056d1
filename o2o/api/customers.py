"""The customer 360 and staff's chain-level tags and notes on a member (docs/customers.md), and
the tag rules that keep tags by a segment's rules.

A store's staff reach only their store's customers (bought or signed up there): another member
is a 404, like a missing one. The phone is masked unless the role may see it in full."""

from datetime import date, datetime
from decimal import Decimal

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from o2o.analytics import customer360
from o2o.api.auth import actor
from o2o.api.types import Id, IdempotencyKey
from o2o.marketing import tag_rules
from o2o.members.models import NOTE_MAX_LENGTH, TAG_MAX_LENGTH

router = Router(tags=["customers"])


class PlaceOut(Schema):
    id: int
    code: str
    name: str


class MemberCardOut(Schema):
    id: int
    name: str
    phone: str = Field(description="In full for customer service and HQ, masked for a store's staff")
    level: str | None
    registration_channel: str
    joined_at: datetime
    joined_at_store: PlaceOut | None
    signed_up_by: str | None
    deleted: bool
    marketing_consent: bool
    marketing_consent_at: datetime | None
    marketing_consent_source: str


class OrderRowOut(Schema):
    id: int
    number: str
    channel: str
    fulfilment: str
    state: str
    total: Decimal
    refunded_total: Decimal
    selling_location: PlaceOut | None
    created_at: datetime
    paid_at: datetime | None


class ChannelOut(Schema):
    channel: str
    orders: int
    spent: Decimal


class TotalsOut(Schema):
    orders: int
    spent: Decimal = Field(description="Paid orders, net of refunds")
    online_orders: int
    online_spent: Decimal
    in_store_orders: int
    in_store_spent: Decimal
    first_paid_at: datetime | None
    last_paid_at: datetime | None
    by_channel: list[ChannelOut]


class TicketRowOut(Schema):
    id: int
    number: str
    kind: str
    state: str
    subject: str
    created_at: datetime


class CouponRowOut(Schema):
    id: int
    name: str
    state: str
    source: str
    valid_until: datetime
    used_at: datetime | None


class VisitRowOut(Schema):
    id: int
    due_on: date
    channel: str
    state: str
    score: int | None
    comment: str


class TagOut(Schema):
    tag: str
    source: str
    rule_id: int | None
    added_at: datetime


class NoteOut(Schema):
    id: int
    body: str
    author: str
    at: datetime


class ConsentOut(Schema):
    given: bool
    at: datetime
    source: str


class BalancesOut(Schema):
    points_available: int
    points_pending: int
    wallet_principal: Decimal
    wallet_bonus: Decimal
    wallet_frozen: bool


class Customer360Out(Schema):
    member: MemberCardOut
    totals: TotalsOut
    orders: list[OrderRowOut] = Field(description="The 20 most recent, online and in store")
    open_tickets: int
    all_tickets: int
    tickets: list[TicketRowOut]
    coupons_held: int
    coupons_used: int
    coupons: list[CouponRowOut]
    surveys: int
    survey_average: Decimal | None
    visits: list[VisitRowOut]
    tags: list[TagOut]
    notes: list[NoteOut]
    consent_history: list[ConsentOut]
    balances: BalancesOut


def _place(location) -> dict | None:
    return None if location is None else {"id": location.pk, "code": location.code, "name": location.name}


def _author(user) -> str:
    employee = getattr(user, "employee", None)
    return employee.display_name if employee is not None else user.get_username()


def _card(member, phone: str) -> dict:
    return {
        "id": member.pk,
        "name": member.name,
        "phone": phone,
        "level": member.level.name if member.level else None,
        "registration_channel": member.registration_channel,
        "joined_at": member.created_at,
        "joined_at_store": _place(member.acquiring_location),
        "signed_up_by": member.acquiring_employee.display_name if member.acquiring_employee else None,
        "deleted": member.anonymised_at is not None,
        "marketing_consent": member.marketing_consent,
        "marketing_consent_at": member.marketing_consent_at,
        "marketing_consent_source": member.marketing_consent_source,
    }


def _totals(totals: customer360.OrderTotals) -> dict:
    names = ("orders", "spent", "online_orders", "online_spent", "in_store_orders", "in_store_spent")
    return {
        **{name: getattr(totals, name) for name in names},
        "first_paid_at": totals.first_paid_at,
        "last_paid_at": totals.last_paid_at,
        "by_channel": [{"channel": c.channel, "orders": c.orders, "spent": c.spent} for c in totals.by_channel],
    }


def _order(order) -> dict:
    names = ("id", "number", "channel", "fulfilment", "state", "total", "refunded_total", "created_at", "paid_at")
    return {**{name: getattr(order, name) for name in names}, "selling_location": _place(order.selling_location)}


def _ticket(ticket) -> dict:
    return {name: getattr(ticket, name) for name in ("id", "number", "kind", "state", "subject", "created_at")}


def _coupon(coupon) -> dict:
    names = ("id", "state", "source", "valid_until", "used_at")
    return {**{name: getattr(coupon, name) for name in names}, "name": coupon.template.name}


def _visit(visit) -> dict:
    survey = getattr(visit, "survey", None)
    return {
        "id": visit.pk,
        "due_on": visit.due_on,
        "channel": visit.channel,
        "state": visit.state,
        "score": survey.score if survey else None,
        "comment": survey.comment if survey else "",
    }


def as_json(view: customer360.Customer360) -> dict:
    return {
        "member": _card(view.member, view.phone),
        "totals": _totals(view.order_totals),
        "orders": [_order(o) for o in view.orders],
        "open_tickets": view.open_tickets,
        "all_tickets": view.all_tickets,
        "tickets": [_ticket(t) for t in view.tickets],
        "coupons_held": view.coupons_held,
        "coupons_used": view.coupons_used,
        "coupons": [_coupon(c) for c in view.coupons],
        "surveys": view.surveys,
        "survey_average": view.survey_average,
        "visits": [_visit(v) for v in view.visits],
        "tags": [{"tag": t.tag, "source": t.source, "rule_id": t.rule_id, "added_at": t.added_at} for t in view.tags],
        "notes": [{"id": n.pk, "body": n.body, "author": _author(n.author), "at": n.at} for n in view.notes],
        "consent_history": [{"given": r.given, "at": r.at, "source": r.source} for r in view.consent_history],
        "balances": {
            "points_available": view.points_available,
            "points_pending": view.points_pending,
            "wallet_principal": view.wallet.principal,
            "wallet_bonus": view.wallet.bonus,
            "wallet_frozen": view.wallet.frozen,
        },
    }


@router.get("/search", response=MemberCardOut)
def search(request: HttpRequest, phone: str):
    """A member by phone, within the caller's reach (a store's staff: their store's customers)."""
    caller = actor(request)
    found = customer360.find_member(actor=caller, phone=phone)
    return _card(found, customer360.shown_phone(caller, found))


@router.get("/{member_id}/360", response=Customer360Out)
def customer_360(request: HttpRequest, member_id: Id):
    """One member across channels: orders, tickets, coupons, follow-up visits, tags, notes,
    consent and balances, read with a fixed number of queries."""
    return as_json(customer360.customer_360(actor=actor(request), member_id=member_id))


class PhoneOut(Schema):
    phone: str


@router.get("/{member_id}/phone", response=PhoneOut)
def full_phone(request: HttpRequest, member_id: Id):
    """The full phone, for the roles that call customers back (customer service, HQ)."""
    return {"phone": customer360.full_phone(actor=actor(request), member_id=member_id)}


class TagIn(Schema):
    tag: str = Field(min_length=1, max_length=TAG_MAX_LENGTH)


class TagResultOut(Schema):
    member_id: int
    tag: str
    source: str
    added_at: datetime
    created: bool


@router.post("/{member_id}/tags", response={200: TagResultOut, 201: TagResultOut})
def add_tag(request: HttpRequest, member_id: Id, payload: TagIn, idempotency_key: IdempotencyKey = None):
    """Put a tag on by hand: 201, or 200 when the member has it already (by hand or by a rule)."""
    result = customer360.add_tag(
        actor=actor(request), member_id=member_id, tag=payload.tag, idempotency_key=idempotency_key
    )
    return Status(201 if result["created"] else 200, result)


@router.post("/{member_id}/tags/remove", response={204: None})
def remove_tag(request: HttpRequest, member_id: Id, payload: TagIn):
    """Take a hand tag off (the tag in the body: tags are free text). A rule's tag is a 409."""
    customer360.remove_tag(actor=actor(request), member_id=member_id, tag=payload.tag)
    return Status(204, None)


class NoteIn(Schema):
    body: str = Field(min_length=1, max_length=NOTE_MAX_LENGTH)


class NoteResultOut(Schema):
    id: int
    member_id: int
    body: str
    at: datetime


@router.post("/{member_id}/notes", response={201: NoteResultOut})
def add_note(request: HttpRequest, member_id: Id, payload: NoteIn, idempotency_key: IdempotencyKey = None):
    """Append a staff note (never edited; never shown to marketing). A retry under the same
    Idempotency-Key appends nothing and answers the first note."""
    result = customer360.add_note(
        actor=actor(request), member_id=member_id, body=payload.body, idempotency_key=idempotency_key
    )
    return Status(201, result)


# --- tag rules ---------------------------------------------------------------------------------


class TagRuleOut(Schema):
    id: int
    tag: str
    segment_id: int
    active: bool
    refreshed_at: datetime | None
    members: int = Field(description="Members who carry the rule's tag now")


class TagRuleResultOut(Schema):
    rule: TagRuleOut
    added: int
    removed: int


class TagRuleIn(Schema):
    tag: str = Field(min_length=1, max_length=TAG_MAX_LENGTH)
    segment_id: Id


class ActiveIn(Schema):
    active: bool


def _rule(rule) -> dict:
    fields = ("id", "tag", "segment_id", "active", "refreshed_at")
    return {**{name: getattr(rule, name) for name in fields}, "members": tag_rules.tagged_count(rule)}


@router.get("/tag-rules", response=list[TagRuleOut])
def list_tag_rules(request: HttpRequest):
    return [_rule(rule) for rule in tag_rules.tag_rules(actor=actor(request))]


@router.post("/tag-rules", response={201: TagRuleResultOut})
def create_tag_rule(request: HttpRequest, payload: TagRuleIn):
    """A tag kept by a segment's rules; its tags go on at once, then follow the segment hourly."""
    rule, done = tag_rules.create_tag_rule(actor=actor(request), tag=payload.tag, segment_id=payload.segment_id)
    return Status(201, {"rule": _rule(rule), "added": done.added, "removed": done.removed})


@router.post("/tag-rules/{rule_id}/active", response=TagRuleResultOut)
def set_tag_rule_active(request: HttpRequest, rule_id: Id, payload: ActiveIn):
    """Switch a rule on (its tags go on now) or off (they come off now)."""
    rule, done = tag_rules.set_tag_rule_active(actor=actor(request), rule_id=rule_id, active=payload.active)
    return {"rule": _rule(rule), "added": done.added, "removed": done.removed}
