"""Coupons: the claim centre and a member's coupons; marketers' templates and grants; customer
service's remedies. Every rule lives in o2o.coupons (docs/coupons.md)."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field, StrictBool, StrictInt

from o2o.access.actors import Actor
from o2o.api.auth import AUTH, actor
from o2o.api.pagination import CursorPagination
from o2o.api.types import Id, IdempotencyKey, Money
from o2o.catalog.models import Channel
from o2o.core.errors import DomainError, ErrorCode
from o2o.coupons import selectors, services
from o2o.coupons.models import ChannelScope, Coupon, CouponKind, CouponTemplate, OnReturn

router = Router(tags=["coupons"])  # /coupons
templates_router = Router(tags=["coupons"])  # /coupon-templates
my_coupons_router = Router(tags=["coupons"])  # /me/coupons

Reference = Annotated[str, Field(min_length=1, max_length=80)]


def _anonymous(request: HttpRequest) -> Actor:
    return Actor()


class OfferOut(Schema):
    """What a coupon gives and where, as a customer sees it (no counts)."""

    id: int
    name: str
    description: str
    kind: str
    amount: Decimal | None
    percent: int | None
    cap: Decimal | None
    min_spend: Decimal
    free_sku_id: int | None
    valid_from: datetime | None
    valid_until: datetime | None
    valid_days: int | None
    channel_scope: str
    per_member_limit: int


class CouponOut(Schema):
    id: int
    template_id: int
    name: str = Field(alias="template.name")
    kind: str = Field(alias="template.kind")
    amount: Decimal | None = Field(alias="template.amount")
    percent: int | None = Field(alias="template.percent")
    cap: Decimal | None = Field(alias="template.cap")
    min_spend: Decimal = Field(alias="template.min_spend")
    free_sku_id: int | None = Field(alias="template.free_sku_id")
    channel_scope: str = Field(alias="template.channel_scope")
    state: str = Field(description="available, used, void, or expired (available but past valid_until)")
    valid_from: datetime
    valid_until: datetime
    source: str
    order_id: int | None
    used_at: datetime | None
    created_at: datetime

    @staticmethod
    def resolve_state(coupon: Coupon) -> str:
        return "expired" if coupon.is_expired else coupon.state


class TemplateOut(OfferOut):
    campaign_id: int | None
    location_ids: list[int]
    category_ids: list[int]
    sku_ids: list[int]
    quota: int | None
    issued_count: int
    used_count: int
    claimable: bool
    on_registration: bool
    on_return: str
    is_active: bool
    created_at: datetime


class TemplateIn(Schema):
    name: str = Field(min_length=1, max_length=120)
    description: str = Field("", max_length=255)
    kind: CouponKind
    amount: Money | None = None
    percent: StrictInt | None = Field(None, ge=1, le=99)
    cap: Money | None = None
    min_spend: Money | None = None
    free_sku_id: Id | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    valid_days: StrictInt | None = Field(None, ge=1, le=3660)
    channel_scope: ChannelScope = ChannelScope.BOTH
    location_ids: list[Id] = Field(default_factory=list, max_length=1000)
    category_ids: list[Id] = Field(default_factory=list, max_length=1000)
    sku_ids: list[Id] = Field(default_factory=list, max_length=1000)
    quota: StrictInt | None = Field(None, ge=1, le=10_000_000)
    per_member_limit: StrictInt = Field(1, ge=1, le=100)
    claimable: StrictBool = False
    on_registration: StrictBool = False
    on_return: OnReturn = OnReturn.RESTORE
    is_active: StrictBool = True
    campaign_id: Id | None = None


class ActiveIn(Schema):
    active: StrictBool


class ClaimIn(Schema):
    template_id: Id


class GrantIn(Schema):
    member_ids: list[Id] = Field(default_factory=list, max_length=10_000)
    phones: list[Annotated[str, Field(min_length=3, max_length=32)]] = Field(default_factory=list, max_length=10_000)
    reference: Reference = Field(description="Why (a segment, a campaign push); the same reference twice grants once")


class GrantOut(Schema):
    granted: int
    already: int
    refused: int
    held_out: int


class RemedyIn(Schema):
    template_id: Id
    member_id: Id
    reason: Reference = Field(
        description='The ticket or incident ("ticket:55"); the same reason twice gives one coupon'
    )


class MyCouponsQuery(Schema):
    state: Literal["available", "used", "void", "expired"] | None = None


class UsableQuery(Schema):
    channel: Channel
    location_id: Id | None = None


def _template(template: CouponTemplate) -> dict:
    fields = {name: getattr(template, name) for name in TemplateOut.model_fields if hasattr(template, name)}
    return fields | {
        "location_ids": [x.pk for x in template.locations.all()],
        "category_ids": [x.pk for x in template.categories.all()],
        "sku_ids": [x.pk for x in template.skus.all()],
        "used_count": getattr(template, "used_count", 0),
    }


# --- customers


@router.get("/claimable", response=list[OfferOut], auth=[*AUTH, _anonymous])
def claimable(request: HttpRequest):
    """The claim centre: active claimable templates with coupons left (anonymous callers too)."""
    who = actor(request)
    return selectors.claimable_templates(member_id=who.member.pk if who.member else None)


@router.post("/claim", response={201: CouponOut})
def claim(request: HttpRequest, payload: ClaimIn, idempotency_key: IdempotencyKey = None):
    """The signed-in member takes one coupon of a claimable template. A retry with the same
    Idempotency-Key returns the same coupon; 409 coupon_quota_exhausted / coupon_limit_reached."""
    coupon = services.claim_coupon(
        actor=actor(request), template_id=payload.template_id, idempotency_key=idempotency_key
    )
    return Status(201, coupon)


@router.get("/usable", response=list[CouponOut])
def usable(request: HttpRequest, query: Query[UsableQuery]):
    """The member's coupons usable now on this channel (and at this store), soonest expiring first."""
    member = actor(request).require_member()
    return selectors.usable_coupons(member_id=member.pk, channel=query.channel, location_id=query.location_id)


@my_coupons_router.get("", response=list[CouponOut])
@paginate(CursorPagination, ordering=("-created_at", "-pk"))
def my_coupons(request: HttpRequest, query: Query[MyCouponsQuery]):
    """The signed-in member's coupons, newest first; `state` filters (expired: available but past its date)."""
    member = actor(request).require_member()
    return selectors.member_coupons(member.pk, state=query.state)


@my_coupons_router.get("/{coupon_id}", response=CouponOut)
def my_coupon(request: HttpRequest, coupon_id: Id):
    """One of the member's coupons; anyone else's is a 404."""
    member = actor(request).require_member()
    return selectors.get_member_coupon(member_id=member.pk, coupon_id=coupon_id)


# --- customer service


@router.post("/remedies", response={201: CouponOut})
def remedy(request: HttpRequest, payload: RemedyIn):
    """An apology coupon for a member (customer service, store manager, HQ); the same reason twice
    gives the coupon once."""
    coupon = services.grant_remedy_coupon(
        actor=actor(request), template_id=payload.template_id, member_id=payload.member_id, reason=payload.reason
    )
    return Status(201, coupon)


# --- marketers


@templates_router.get("", response=list[TemplateOut])
def list_templates(request: HttpRequest):
    """Every template with its issued and used counts (marketer, online operator, HQ)."""
    return [_template(t) for t in selectors.templates_with_counts(actor=actor(request))[:500]]


@templates_router.post("", response={201: TemplateOut})
def create_template(request: HttpRequest, payload: TemplateIn):
    """Define a coupon: its kind and amounts, a validity window or days after issue, its channel,
    store, category and SKU scope (empty: all), quota and per-member limit."""
    who = actor(request)
    template = services.create_template(actor=who, **payload.model_dump())
    return Status(201, _template(selectors.get_template(actor=who, template_id=template.pk)))


@templates_router.post("/{template_id}/active", response=TemplateOut)
def set_active(request: HttpRequest, template_id: Id, payload: ActiveIn):
    """Switch a template on or off (off: no claims, no grants; issued coupons stay usable)."""
    who = actor(request)
    services.set_template_active(actor=who, template_id=template_id, active=payload.active)
    return _template(selectors.get_template(actor=who, template_id=template_id))


@templates_router.post("/{template_id}/grants", response={201: GrantOut})
def grant(request: HttpRequest, template_id: Id, payload: GrantIn):
    """Give the template's coupons to members by id or phone, never over the quota: what the quota
    does not allow, unknown phones and members at their limit count as refused; members in the
    campaign's control group are held out."""
    if not payload.member_ids and not payload.phones:
        raise DomainError(ErrorCode.INVALID, "name members by id or phone")
    outcome = services.grant_to_members(
        actor=actor(request),
        template_id=template_id,
        reference=payload.reference,
        member_ids=payload.member_ids,
        phones=payload.phones,
    )
    return Status(201, outcome)
