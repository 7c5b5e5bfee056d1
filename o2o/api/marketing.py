"""Campaigns, segments, grants to a segment, message templates, broadcasts and the campaign report
(docs/marketing.md). Marketers and HQ write; online operators read campaigns and reports. Every
rule lives in o2o.marketing; segment answers are counts, never members."""

import json
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field, StrictInt

from o2o.api.auth import actor
from o2o.api.pagination import CursorPagination
from o2o.api.types import Id, IdempotencyKey
from o2o.core.errors import DomainError, ErrorCode
from o2o.marketing import selectors
from o2o.marketing import services as marketing
from o2o.marketing.models import MessageChannel

router = Router(tags=["marketing"])

Name = Annotated[str, Field(min_length=1, max_length=120)]
Rules = Annotated[list[dict[str, Any]], Field(max_length=10)]


# --- campaigns -----------------------------------------------------------------------------


class CampaignIn(Schema):
    name: Name
    description: str = Field("", max_length=2000)
    starts_at: datetime
    ends_at: datetime | None = None
    control_percent: StrictInt = Field(0, ge=0, le=50)


class OfferOut(Schema):
    kind: str
    id: int
    name: str


class CampaignOut(Schema):
    id: int
    name: str
    description: str
    starts_at: datetime
    ends_at: datetime | None
    control_percent: int
    status: str

    @staticmethod
    def resolve_status(campaign) -> str:
        return selectors.campaign_status(campaign)


class CampaignDetailOut(CampaignOut):
    offers: list[OfferOut]

    @staticmethod
    def resolve_offers(campaign) -> list:
        return selectors.campaign_offers(campaign)


def _fields(payload: CampaignIn) -> marketing.CampaignFields:
    return marketing.CampaignFields(**payload.dict())


@router.get("/campaigns", response=list[CampaignOut])
@paginate(CursorPagination, ordering=("-id",))
def list_campaigns(request: HttpRequest):
    return selectors.campaigns(actor=actor(request))


@router.post("/campaigns", response={201: CampaignDetailOut})
def create_campaign(request: HttpRequest, payload: CampaignIn):
    """A marketer or HQ creates a campaign: a window and the share of members held out as control."""
    campaign = marketing.create_campaign(actor=actor(request), fields=_fields(payload))
    return Status(201, campaign)


@router.get("/campaigns/{campaign_id}", response=CampaignDetailOut)
def get_campaign(request: HttpRequest, campaign_id: Id):
    """A campaign with the offers that name it (coupon templates, promotions, flash sales...)."""
    return selectors.campaign_for(actor=actor(request), campaign_id=campaign_id)


@router.post("/campaigns/{campaign_id}", response=CampaignDetailOut)
def update_campaign(request: HttpRequest, campaign_id: Id, payload: CampaignIn):
    """Change a campaign; its start and control group are fixed once it has started (409)."""
    campaign = marketing.update_campaign(actor=actor(request), campaign_id=campaign_id, fields=_fields(payload))
    return campaign


@router.post("/campaigns/{campaign_id}/end", response=CampaignDetailOut)
def end_campaign(request: HttpRequest, campaign_id: Id):
    """End a running campaign now."""
    return marketing.end_campaign(actor=actor(request), campaign_id=campaign_id)


class ChannelOut(Schema):
    orders: int
    revenue: Decimal
    cost: Decimal
    coupons_used: int
    redemption_rate: Decimal


class StoreOut(Schema):
    location_id: int
    name: str
    orders: int
    revenue: Decimal
    cost: Decimal


class GroupOut(Schema):
    members: int
    orders: int
    revenue: Decimal
    orders_per_member: Decimal
    revenue_per_member: Decimal


class UpliftOut(Schema):
    treated: GroupOut
    control: GroupOut
    orders_per_member: Decimal
    revenue_per_member: Decimal


class ReportOut(Schema):
    campaign: CampaignOut
    cost: Decimal
    orders: int
    revenue: Decimal
    refunded: Decimal
    coupons_issued: int
    coupons_used: int
    online: ChannelOut
    offline: ChannelOut
    by_store: list[StoreOut]
    uplift: UpliftOut
    rewards: Any = None


def _group(group) -> dict:
    return {
        "members": group.members,
        "orders": group.orders,
        "revenue": group.revenue,
        "orders_per_member": group.orders_per_member,
        "revenue_per_member": group.revenue_per_member,
    }


def report_out(report) -> dict:
    channel = {
        name: {**figures.as_dict(), "redemption_rate": report.redemption_rate(figures)}
        for name, figures in (("online", report.online), ("offline", report.offline))
    }
    return {
        "campaign": report.campaign,
        "cost": report.cost,
        "orders": report.orders,
        "revenue": report.revenue,
        "refunded": report.refunded,
        "coupons_issued": report.coupons_issued,
        "coupons_used": report.coupons_used,
        **channel,
        "by_store": report.by_store,
        "uplift": {
            "treated": _group(report.treated),
            "control": _group(report.control),
            "orders_per_member": report.uplift_orders_per_member,
            "revenue_per_member": report.uplift_revenue_per_member,
        },
        "rewards": report.rewards,
    }


@router.get("/campaigns/{campaign_id}/report", response=ReportOut)
def campaign_report(request: HttpRequest, campaign_id: Id):
    """Cost, orders, revenue, redemption online vs in store, by store, and uplift vs control."""
    return report_out(selectors.campaign_report(actor=actor(request), campaign_id=campaign_id))


# --- segments ------------------------------------------------------------------------------


class SegmentIn(Schema):
    name: Name
    rules: Rules


class SegmentOut(Schema):
    id: int
    name: str
    rules: list[dict[str, Any]]
    members: int

    @staticmethod
    def resolve_members(segment) -> int:
        return selectors.segment_count(segment)


class CountOut(Schema):
    members: int


@router.get("/segments", response=list[SegmentOut])
@paginate(CursorPagination, ordering=("-id",))
def list_segments(request: HttpRequest):
    """Segments with their live member counts (no member lists)."""
    return selectors.segments(actor=actor(request))


class PreviewQuery(Schema):
    rules: str = Field(
        max_length=4000, description='the rules as JSON, e.g. [{"kind": "purchased_within", "days": 30}]'
    )


@router.get("/segments/preview", response=CountOut)
def preview_segment(request: HttpRequest, query: Query[PreviewQuery]):
    """How many members these rules select now; nothing is saved."""
    try:
        rules = json.loads(query.rules)
    except ValueError:
        raise DomainError(ErrorCode.INVALID, "rules are JSON", field="rules") from None
    return {"members": selectors.preview_count(actor=actor(request), rules=rules)}


@router.post("/segments", response={201: SegmentOut})
def create_segment(request: HttpRequest, payload: SegmentIn):
    return Status(201, marketing.create_segment(actor=actor(request), name=payload.name, rules=payload.rules))


@router.get("/segments/{segment_id}", response=SegmentOut)
def get_segment(request: HttpRequest, segment_id: Id):
    return selectors.segment_for(actor=actor(request), segment_id=segment_id)


@router.post("/segments/{segment_id}", response=SegmentOut)
def update_segment(request: HttpRequest, segment_id: Id, payload: SegmentIn):
    segment = marketing.update_segment(
        actor=actor(request), segment_id=segment_id, name=payload.name, rules=payload.rules
    )
    return segment


class GrantIn(Schema):
    template_id: Id
    campaign_id: Id | None = None


class GrantOut(Schema):
    id: int
    segment_id: int
    template_id: int
    campaign_id: int | None
    reference: str
    members: int
    held_out: int
    granted: int
    already: int
    refused: int
    created_at: datetime


@router.post("/segments/{segment_id}/grants", response={201: GrantOut})
def grant_to_segment(request: HttpRequest, segment_id: Id, payload: GrantIn, idempotency_key: IdempotencyKey = None):
    """Grant a coupon template to the segment's members (less the campaign's control group). A retry
    with the same Idempotency-Key returns the first grant."""
    grant = marketing.grant_to_segment(
        actor=actor(request),
        segment_id=segment_id,
        template_id=payload.template_id,
        campaign_id=payload.campaign_id,
        idempotency_key=idempotency_key,
    )
    return Status(201, grant)


# --- message templates and broadcasts ------------------------------------------------------


class TemplateIn(Schema):
    name: Name
    channel: MessageChannel
    body: str = Field(min_length=1, max_length=500, description="{name} becomes the member's name")
    language: str = Field("zh-hans", pattern=r"^[a-z]{2}(-[a-z]{2,4})?$")


class TemplateOut(Schema):
    id: int
    name: str
    channel: str
    body: str
    language: str


@router.get("/message-templates", response=list[TemplateOut])
@paginate(CursorPagination, ordering=("-id",))
def list_message_templates(request: HttpRequest):
    return selectors.message_templates(actor=actor(request))


@router.post("/message-templates", response={201: TemplateOut})
def create_message_template(request: HttpRequest, payload: TemplateIn):
    return Status(201, marketing.create_message_template(actor=actor(request), **payload.dict()))


class BroadcastIn(Schema):
    segment_id: Id
    template_id: Id
    campaign_id: Id | None = None
    scheduled_at: datetime | None = None


class BroadcastOut(Schema):
    id: int
    segment_id: int
    template_id: int
    campaign_id: int | None
    state: str
    scheduled_at: datetime | None
    sent_at: datetime | None
    deliveries: dict[str, int]

    @staticmethod
    def resolve_deliveries(broadcast) -> dict[str, int]:
        return selectors.delivery_counts(broadcast)


@router.get("/broadcasts", response=list[BroadcastOut])
@paginate(CursorPagination, ordering=("-id",))
def list_broadcasts(request: HttpRequest):
    return selectors.broadcasts(actor=actor(request))


@router.post("/broadcasts", response={201: BroadcastOut})
def create_broadcast(request: HttpRequest, payload: BroadcastIn):
    """A draft broadcast, or a scheduled one when `scheduled_at` is given (sent by the periodic job)."""
    return Status(201, marketing.create_broadcast(actor=actor(request), **payload.dict()))


@router.get("/broadcasts/{broadcast_id}", response=BroadcastOut)
def get_broadcast(request: HttpRequest, broadcast_id: Id):
    """A broadcast with its deliveries: skipped by reason, and queued by outbox state."""
    return selectors.broadcast_for(actor=actor(request), broadcast_id=broadcast_id)


@router.post("/broadcasts/{broadcast_id}/send", response=BroadcastOut)
def send_broadcast(request: HttpRequest, broadcast_id: Id):
    """Send now: one message per member with consent, outside the control group and under the
    weekly cap; a broadcast is sent once (409 after)."""
    return marketing.send_broadcast(actor=actor(request), broadcast_id=broadcast_id)
