"""Automatic promotions: marketers and HQ create, preview, list and switch them on and off; anyone
reads what applies now on a channel at a store (names and terms). Rules live in o2o.promotions."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import AwareDatetime, Field, StrictBool, StrictInt

from o2o.api.auth import AUTH, actor
from o2o.api.orders import QuoteOut
from o2o.api.types import Id, Money, MoneyOrZero
from o2o.catalog.models import Channel
from o2o.pricing.cart import CartLine
from o2o.promotions import selectors
from o2o.promotions import services as promotions
from o2o.promotions.cache import snapshot
from o2o.promotions.models import PRIORITY_MAX, PRIORITY_MIN, ChannelScope, Promotion, PromotionKind

router = Router(tags=["promotions"])

Units = Annotated[StrictInt, Field(ge=1, le=promotions.MAX_UNITS)]
Percent = Annotated[Decimal, Field(gt=0, lt=100, max_digits=5, decimal_places=2, allow_inf_nan=False)]


class TierIn(Schema):
    threshold: Money = Field(description="spend at least this (net of earlier discounts)")
    amount_off: Money = Field(description="save this")


class BundleItemIn(Schema):
    sku_id: Id
    quantity: Units


class PromotionIn(Schema):
    name: str = Field(min_length=1, max_length=80)
    kind: PromotionKind
    starts_at: AwareDatetime
    ends_at: AwareDatetime | None = None
    channel_scope: ChannelScope = ChannelScope.BOTH
    store_ids: list[Id] = Field([], max_length=promotions.MAX_SCOPE, description="empty: every store")
    sku_ids: list[Id] = Field([], max_length=promotions.MAX_SCOPE)
    category_ids: list[Id] = Field([], max_length=promotions.MAX_SCOPE)
    priority: StrictInt = Field(200, ge=PRIORITY_MIN, le=PRIORITY_MAX, description="lower applies first")
    stacks: StrictBool = True
    campaign_id: Id | None = None
    tiers: list[TierIn] = Field([], max_length=promotions.MAX_TIERS, description="spend_tiers")
    buy_quantity: Units | None = Field(None, description="buy_n_get_m: N")
    free_quantity: Units | None = Field(None, description="buy_n_get_m: M")
    bundle: list[BundleItemIn] = Field([], max_length=promotions.MAX_BUNDLE_ITEMS, description="bundle_price")
    percent: Percent | None = Field(None, description="category_percent")
    price: MoneyOrZero | None = Field(None, description="bundle_price: the set; timed_price: a unit")
    per_member_limit: Units | None = Field(None, description="timed_price: units per member")
    activate: StrictBool = False


class TierOut(Schema):
    threshold: Decimal
    amount_off: Decimal


class PromotionOut(Schema):
    id: int
    name: str
    kind: str
    terms: str
    campaign_id: int | None
    channel_scope: str
    store_ids: list[int]
    sku_ids: list[int]
    category_ids: list[int]
    starts_at: datetime
    ends_at: datetime | None
    priority: int
    stacks: bool
    is_active: bool
    tiers: list[TierOut]
    bundle: list[dict]
    percent: Decimal | None
    price: Decimal | None
    buy_quantity: int | None
    free_quantity: int | None
    per_member_limit: int | None


class ActiveIn(Schema):
    active: StrictBool


class PreviewLineIn(Schema):
    sku_id: Id
    quantity: Units


class PreviewIn(Schema):
    promotion: PromotionIn
    channel: Channel
    location_id: Id | None = None
    lines: list[PreviewLineIn] = Field(min_length=1, max_length=50)


class PublicPromotionOut(Schema):
    id: int
    name: str
    kind: str
    terms: str
    starts_at: datetime
    ends_at: datetime | None


class ActiveQuery(Schema):
    channel: Channel
    location_id: Id | None = None


def spec_of(payload: PromotionIn) -> promotions.PromotionSpec:
    return promotions.PromotionSpec(
        name=payload.name,
        kind=payload.kind,
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
        channel_scope=payload.channel_scope,
        store_ids=tuple(payload.store_ids),
        sku_ids=tuple(payload.sku_ids),
        category_ids=tuple(payload.category_ids),
        priority=payload.priority,
        stacks=payload.stacks,
        campaign_id=payload.campaign_id,
        tiers=tuple((tier.threshold, tier.amount_off) for tier in payload.tiers),
        buy_quantity=payload.buy_quantity,
        free_quantity=payload.free_quantity,
        bundle=tuple((item.sku_id, item.quantity) for item in payload.bundle),
        percent=payload.percent,
        price=payload.price,
        per_member_limit=payload.per_member_limit,
    )


def _out(promotion: Promotion) -> dict:
    shot = snapshot(promotion)
    return {
        **{name: getattr(promotion, name) for name in PromotionOut.model_fields if hasattr(promotion, name)},
        "terms": selectors.terms(shot),
        "store_ids": sorted(shot.store_ids),
        "sku_ids": sorted(shot.sku_ids),
        "category_ids": sorted(c.pk for c in promotion.categories.all()),
        "tiers": [{"threshold": t, "amount_off": off} for t, off in shot.tiers],
        "bundle": [{"sku_id": s, "quantity": q} for s, q in shot.bundle],
    }


@router.post("", response={201: PromotionOut})
def create(request: HttpRequest, payload: PromotionIn):
    """Create a promotion, checked per kind (422 `invalid` names the field); inactive unless `activate`."""
    created = promotions.create_promotion(actor=actor(request), spec=spec_of(payload), activate=payload.activate)
    return Status(201, _out(selectors.promotion_for(actor=actor(request), promotion_id=created.pk)))


@router.get("", response=list[PromotionOut])
def list_promotions(request: HttpRequest, limit: int = Query(100, ge=1, le=500), before_id: Id | None = None):
    """Promotions, newest first (`before_id` pages on)."""
    rows = selectors.promotions_for(actor=actor(request))
    if before_id is not None:
        rows = rows.filter(pk__lt=before_id)
    return [_out(row) for row in rows[:limit]]


@router.post("/preview", response=QuoteOut)
def preview(request: HttpRequest, payload: PreviewIn):
    """Price a sample cart with a draft promotion (after the active ones), saving nothing."""
    return promotions.preview(
        actor=actor(request),
        spec=spec_of(payload.promotion),
        lines=[CartLine(line.sku_id, line.quantity) for line in payload.lines],
        channel=payload.channel,
        location_id=payload.location_id,
    )


@router.post("/{promotion_id}/active", response=PromotionOut)
def set_active(request: HttpRequest, promotion_id: Id, payload: ActiveIn):
    """Switch a promotion on or off: every process prices with the change at once."""
    promotions.set_active(actor=actor(request), promotion_id=promotion_id, active=payload.active)
    return _out(selectors.promotion_for(actor=actor(request), promotion_id=promotion_id))


def _anyone(request: HttpRequest) -> bool:
    return True


@router.get("/active", response=list[PublicPromotionOut], auth=[*AUTH, _anyone])
def active(request: HttpRequest, query: Query[ActiveQuery]):
    """What applies now on a channel (at a store, when given): names and terms, for everyone."""
    return [
        {"id": p.id, "name": p.name, "kind": p.kind, "terms": selectors.terms(p), "starts_at": p.starts_at,
         "ends_at": p.ends_at}
        for p in selectors.public_active(channel=query.channel, location_id=query.location_id)
    ]  # fmt: skip
