"""Reads of marketing: campaigns and their offers, segment counts, broadcasts with their delivery
status, and the campaign report. Marketers see counts and money, never members' phones."""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone

from o2o.access.actors import Actor
from o2o.access.permissions import Operation, authorize
from o2o.catalog.models import Channel
from o2o.core.errors import not_found
from o2o.core.models import OutboxMessage
from o2o.core.money import to_money
from o2o.marketing import rules as segment_rules
from o2o.marketing.models import Broadcast, BroadcastDelivery, DeliveryStatus, MessageTemplate, Segment
from o2o.orders.models import PAID_STATES, Order, OrderLineDiscount
from o2o.pricing.models import Campaign

ZERO = Decimal("0.00")
# --- campaigns -----------------------------------------------------------------------------


def campaigns(*, actor: Actor) -> QuerySet[Campaign]:
    authorize(actor, Operation.VIEW_CAMPAIGNS)
    return Campaign.objects.order_by("-starts_at", "-pk")


def campaign_for(*, actor: Actor, campaign_id: int) -> Campaign:
    authorize(actor, Operation.VIEW_CAMPAIGNS)
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None:
        raise not_found("campaign")
    return campaign


def campaign_status(campaign: Campaign, now=None) -> str:
    now = now or timezone.now()
    if campaign.starts_at > now:
        return "upcoming"
    if campaign.ends_at is not None and campaign.ends_at <= now:
        return "ended"
    return "running"


@dataclass(frozen=True)
class Offer:
    kind: str  # the offer app's label: coupons, promotions, flashsale, groupbuy, rewards
    id: int
    name: str


# The offer models that may name a campaign (each offer app's own table). Read by the campaign's
# reverse FK when the app has it; an app without the model yet is skipped.
OFFER_MODELS = (
    ("coupons", "CouponTemplate"),
    ("promotions", "Promotion"),
    ("flashsale", "FlashSale"),
    ("groupbuy", "GroupBuy"),
    ("rewards", "RedPacket"),
    ("rewards", "Reward"),
)


def _offer_model(app_label: str, model_name: str):
    try:
        model = apps.get_model(app_label, model_name)
    except LookupError:
        return None
    names = {f.name for f in model._meta.get_fields()}
    return model if "campaign" in names else None


def campaign_offers(campaign: Campaign) -> list[Offer]:
    offers = []
    for app_label, model_name in OFFER_MODELS:
        model = _offer_model(app_label, model_name)
        if model is None:
            continue
        for row in model.objects.filter(campaign=campaign).order_by("pk"):
            offers.append(Offer(kind=app_label, id=row.pk, name=str(row)))
    return offers


# --- segments ------------------------------------------------------------------------------


def segments(*, actor: Actor) -> QuerySet[Segment]:
    authorize(actor, Operation.MANAGE_SEGMENTS)
    return Segment.objects.order_by("-pk")


def segment_for(*, actor: Actor, segment_id: int) -> Segment:
    authorize(actor, Operation.MANAGE_SEGMENTS)
    segment = Segment.objects.filter(pk=segment_id).first()
    if segment is None:
        raise not_found("segment")
    return segment


def segment_members(segment: Segment):
    """The members of a segment now (a queryset, one query); for services, never shown to marketers."""
    return segment_rules.members_matching(segment.rules)


def preview_count(*, actor: Actor, rules: Any) -> int:
    """How many members the rules select now, without saving anything."""
    authorize(actor, Operation.MANAGE_SEGMENTS)
    return segment_rules.members_matching(segment_rules.validate(rules)).count()


def segment_count(segment: Segment) -> int:
    return segment_members(segment).count()


# --- broadcasts ----------------------------------------------------------------------------


def message_templates(*, actor: Actor) -> QuerySet[MessageTemplate]:
    authorize(actor, Operation.SEND_BROADCASTS)
    return MessageTemplate.objects.order_by("-pk")


def broadcasts(*, actor: Actor) -> QuerySet[Broadcast]:
    authorize(actor, Operation.SEND_BROADCASTS)
    return Broadcast.objects.select_related("campaign", "segment", "template").order_by("-pk")


def broadcast_for(*, actor: Actor, broadcast_id: int) -> Broadcast:
    broadcast = broadcasts(actor=actor).filter(pk=broadcast_id).first()
    if broadcast is None:
        raise not_found("broadcast")
    return broadcast


def delivery_counts(broadcast: Broadcast) -> dict[str, int]:
    """Members by outcome: skipped (by reason), and the queued ones by their outbox message's state
    (pending, sent, failed). One query."""
    counts = {status: 0 for status in DeliveryStatus.values if status != DeliveryStatus.QUEUED}
    counts |= {state: 0 for state in OutboxMessage.State.values}
    rows = (
        BroadcastDelivery.objects.filter(broadcast=broadcast)
        .values("status", "outbox_message__state")
        .annotate(n=Count("pk"))
    )
    for row in rows:
        key = row["outbox_message__state"] if row["status"] == DeliveryStatus.QUEUED else row["status"]
        counts[key] += row["n"]
    return counts


# --- the campaign report -------------------------------------------------------------------


@dataclass
class ChannelFigures:
    orders: int = 0
    revenue: Decimal = ZERO
    cost: Decimal = ZERO
    coupons_used: int = 0

    def as_dict(self) -> dict:
        return {"orders": self.orders, "revenue": self.revenue, "cost": self.cost, "coupons_used": self.coupons_used}


@dataclass
class GroupFigures:
    members: int = 0
    orders: int = 0
    revenue: Decimal = ZERO

    @property
    def orders_per_member(self) -> Decimal:
        return (Decimal(self.orders) / self.members).quantize(Decimal("0.0001")) if self.members else Decimal(0)

    @property
    def revenue_per_member(self) -> Decimal:
        return to_money(self.revenue / self.members) if self.members else ZERO


@dataclass
class CampaignReport:
    campaign: Campaign
    cost: Decimal = ZERO
    orders: int = 0
    revenue: Decimal = ZERO
    refunded: Decimal = ZERO
    online: ChannelFigures = field(default_factory=ChannelFigures)
    offline: ChannelFigures = field(default_factory=ChannelFigures)
    coupons_issued: int = 0
    by_store: list[dict] = field(default_factory=list)
    treated: GroupFigures = field(default_factory=GroupFigures)
    control: GroupFigures = field(default_factory=GroupFigures)
    rewards: Any = None

    @property
    def coupons_used(self) -> int:
        return self.online.coupons_used + self.offline.coupons_used

    def redemption_rate(self, figures: ChannelFigures) -> Decimal:
        return (
            (Decimal(figures.coupons_used) / self.coupons_issued).quantize(Decimal("0.0001"))
            if self.coupons_issued
            else Decimal(0)
        )

    @property
    def uplift_orders_per_member(self) -> Decimal:
        return self.treated.orders_per_member - self.control.orders_per_member

    @property
    def uplift_revenue_per_member(self) -> Decimal:
        return self.treated.revenue_per_member - self.control.revenue_per_member


def _is_online(channel: str) -> bool:
    return channel in Channel.online()


def _discount_figures(report: CampaignReport) -> None:
    """Cost, orders and revenue from the paid orders with a discount of the campaign. The cost of an
    order refunded in part counts only the kept share (discount x (total - refunded) / total)."""
    rows = (
        OrderLineDiscount.objects.filter(campaign=report.campaign, line__order__state__in=PAID_STATES)
        .values("line__order_id", "line__order__channel", "line__order__total", "line__order__refunded_total",
                "line__order__selling_location_id", "line__order__selling_location__name")
        .annotate(amount=Sum("amount"))
        .order_by("line__order_id")
    )  # fmt: skip
    stores: dict[int, dict] = {}
    for row in rows:
        total, refunded = row["line__order__total"], row["line__order__refunded_total"]
        kept = (total - refunded) / total if total else Decimal(1)
        cost = to_money(row["amount"] * kept)
        figures = report.online if _is_online(row["line__order__channel"]) else report.offline
        for target in (report, figures):
            target.orders += 1
            target.revenue += total
            target.cost += cost
        report.refunded += refunded
        store = stores.setdefault(
            row["line__order__selling_location_id"],
            {"location_id": row["line__order__selling_location_id"], "name": row["line__order__selling_location__name"],
             "orders": 0, "revenue": ZERO, "cost": ZERO},
        )  # fmt: skip
        store["orders"] += 1
        store["revenue"] += total
        store["cost"] += cost
    report.by_store = sorted(stores.values(), key=lambda s: (-s["revenue"], s["location_id"]))


def _coupon_figures(report: CampaignReport) -> None:
    """Coupons of the campaign's templates: issued, and used split by the channel of the order."""
    try:
        coupon_model = apps.get_model("coupons", "Coupon")
    except LookupError:
        return
    coupons = coupon_model.objects.filter(template__campaign=report.campaign)
    report.coupons_issued = coupons.count()
    channel = Subquery(Order.objects.filter(pk=OuterRef("order_id")).values("channel"))
    used = (
        coupons.filter(state="used", order_id__isnull=False)
        .annotate(channel=channel)
        .values("channel")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in used:
        figures = report.online if _is_online(row["channel"]) else report.offline
        figures.coupons_used += row["n"]


def _targeted_members(campaign: Campaign) -> list[int]:
    """Members the campaign reached for: the members of the segments it granted or broadcast to
    (held-out members included: they are the control)."""
    segment_ids = set(campaign.segment_grants.values_list("segment_id", flat=True))
    segment_ids |= set(campaign.broadcasts.values_list("segment_id", flat=True))
    member_ids: set[int] = set()
    for segment in Segment.objects.filter(pk__in=segment_ids):
        member_ids |= set(segment_members(segment).values_list("pk", flat=True))
    return sorted(member_ids)


def _group_figures(campaign: Campaign, member_ids: list[int]) -> GroupFigures:
    window = Q(paid_at__gte=campaign.starts_at)
    if campaign.ends_at is not None:
        window &= Q(paid_at__lt=campaign.ends_at)
    totals = Order.objects.filter(window, member_id__in=member_ids, state__in=PAID_STATES).aggregate(
        orders=Count("pk"), revenue=Sum(F("total") - F("refunded_total"))
    )
    return GroupFigures(members=len(member_ids), orders=totals["orders"], revenue=to_money(totals["revenue"] or 0))


def _uplift(report: CampaignReport) -> None:
    campaign = report.campaign
    targeted = _targeted_members(campaign)
    control = [m for m in targeted if campaign.holds_out(m)]
    treated = [m for m in targeted if not campaign.holds_out(m)]
    report.treated = _group_figures(campaign, treated)
    report.control = _group_figures(campaign, control)


def _rewards(report: CampaignReport) -> None:
    try:
        from o2o.rewards.selectors import rewards_by_campaign  # optional: the rewards app's figures
    except ImportError:
        return
    report.rewards = rewards_by_campaign(report.campaign.pk)


def campaign_report(*, actor: Actor, campaign_id: int) -> CampaignReport:
    report = CampaignReport(campaign=campaign_for(actor=actor, campaign_id=campaign_id))
    _discount_figures(report)
    _coupon_figures(report)
    _uplift(report)
    _rewards(report)
    report.revenue, report.cost, report.refunded = (
        to_money(v or 0) for v in (report.revenue, report.cost, report.refunded)
    )
    return report
