"""Every write of marketing: campaigns, segments, grants to a segment, message templates and
broadcasts. Keyword-only functions taking the acting `Actor`, one transaction each, checking the
permission table (docs/marketing.md)."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from o2o.access.actors import Actor
from o2o.access.permissions import Operation, authorize
from o2o.core.errors import DomainError, ErrorCode, not_found
from o2o.core.idempotency import fingerprint, run_once
from o2o.core.messaging import queue_message
from o2o.marketing import rules as segment_rules
from o2o.marketing.models import (
    Broadcast,
    BroadcastDelivery,
    BroadcastState,
    DeliveryStatus,
    MessageChannel,
    MessageTemplate,
    Segment,
    SegmentGrant,
)
from o2o.members.models import Member
from o2o.pricing.models import Campaign

MAX_CONTROL_PERCENT = 50
CAP_WINDOW = timedelta(days=7)


# --- campaigns -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CampaignFields:
    name: str
    starts_at: datetime
    ends_at: datetime | None = None
    description: str = ""
    control_percent: int = 0


def _check_campaign(fields: CampaignFields) -> None:
    if not fields.name.strip():
        raise DomainError(ErrorCode.INVALID, "a campaign needs a name", field="name")
    if not 0 <= fields.control_percent <= MAX_CONTROL_PERCENT:
        raise DomainError(ErrorCode.INVALID, "the control group is 0 to 50 percent", field="control_percent")
    if fields.ends_at is not None and fields.ends_at <= fields.starts_at:
        raise DomainError(ErrorCode.INVALID, "a campaign ends after it starts", field="ends_at")


@transaction.atomic(durable=True)
def create_campaign(*, actor: Actor, fields: CampaignFields) -> Campaign:
    authorize(actor, Operation.MANAGE_CAMPAIGNS)
    _check_campaign(fields)
    return Campaign.objects.create(
        name=fields.name.strip(),
        description=fields.description,
        starts_at=fields.starts_at,
        ends_at=fields.ends_at,
        control_percent=fields.control_percent,
        created_by=actor.user,
    )


def _campaign_for_update(campaign_id: int) -> Campaign:
    campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
    if campaign is None:
        raise not_found("campaign")
    return campaign


@transaction.atomic(durable=True)
def update_campaign(*, actor: Actor, campaign_id: int, fields: CampaignFields) -> Campaign:
    """Name, description and end can change any time; the start and the control group only before
    the campaign starts (a member must never move between the treated and the control group)."""
    authorize(actor, Operation.MANAGE_CAMPAIGNS)
    campaign = _campaign_for_update(campaign_id)
    _check_campaign(fields)
    started = campaign.starts_at <= timezone.now()
    if started and (fields.starts_at != campaign.starts_at or fields.control_percent != campaign.control_percent):
        raise DomainError(ErrorCode.CONFLICT, "the start and the control group are fixed once a campaign starts")
    campaign.name = fields.name.strip()
    campaign.description = fields.description
    campaign.starts_at = fields.starts_at
    campaign.ends_at = fields.ends_at
    campaign.control_percent = fields.control_percent
    campaign.save(update_fields=["name", "description", "starts_at", "ends_at", "control_percent"])
    return campaign


@transaction.atomic(durable=True)
def end_campaign(*, actor: Actor, campaign_id: int) -> Campaign:
    """End a running campaign now (its offers stop with its window)."""
    authorize(actor, Operation.MANAGE_CAMPAIGNS)
    now = timezone.now()
    ended = Campaign.objects.filter(pk=campaign_id, starts_at__lt=now).filter(
        Q(ends_at__isnull=True) | Q(ends_at__gt=now)
    )
    if not ended.update(ends_at=now):
        campaign = Campaign.objects.filter(pk=campaign_id).first()
        if campaign is None:
            raise not_found("campaign")
        raise DomainError(ErrorCode.ILLEGAL_TRANSITION, "only a running campaign can be ended")
    return Campaign.objects.get(pk=campaign_id)


def _open_campaign(campaign_id: int | None) -> Campaign | None:
    """A campaign that can still take grants and broadcasts: not ended."""
    if campaign_id is None:
        return None
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None:
        raise not_found("campaign")
    if campaign.ends_at is not None and campaign.ends_at <= timezone.now():
        raise DomainError(ErrorCode.ILLEGAL_TRANSITION, "the campaign has ended")
    return campaign


# --- segments ------------------------------------------------------------------------------


def _segment_name(name: str) -> str:
    if not name.strip() or len(name) > 120:
        raise DomainError(ErrorCode.INVALID, "a segment needs a name of at most 120 characters", field="name")
    return name.strip()


@transaction.atomic(durable=True)
def create_segment(*, actor: Actor, name: str, rules: Any) -> Segment:
    authorize(actor, Operation.MANAGE_SEGMENTS)
    return Segment.objects.create(name=_segment_name(name), rules=segment_rules.validate(rules), created_by=actor.user)


@transaction.atomic(durable=True)
def update_segment(*, actor: Actor, segment_id: int, name: str, rules: Any) -> Segment:
    authorize(actor, Operation.MANAGE_SEGMENTS)
    segment = Segment.objects.select_for_update().filter(pk=segment_id).first()
    if segment is None:
        raise not_found("segment")
    segment.name = _segment_name(name)
    segment.rules = segment_rules.validate(rules)
    segment.save(update_fields=["name", "rules", "updated_at"])
    return segment


def _segment(segment_id: int) -> Segment:
    segment = Segment.objects.filter(pk=segment_id).first()
    if segment is None:
        raise not_found("segment")
    return segment


# --- grants to a segment -------------------------------------------------------------------


def grant_to_segment(
    *,
    actor: Actor,
    segment_id: int,
    template_id: int,
    campaign_id: int | None = None,
    idempotency_key: str | None = None,
) -> SegmentGrant:
    """Grant a coupon template to every member of the segment now, less the campaign's control
    group, in one transaction. A retry with the same Idempotency-Key returns the first grant; the
    coupons carry "segment-grant:<id>", so the coupons service never issues them twice either."""
    authorize(actor, Operation.GRANT_COUPONS)
    result = run_once(
        scope=actor.idempotency_scope,
        operation="marketing_segment_grant",
        key=idempotency_key,
        fingerprint=fingerprint(segment=segment_id, template=template_id, campaign=campaign_id),
        perform=lambda: {
            "grant_id": _grant(actor=actor, segment_id=segment_id, template_id=template_id, campaign_id=campaign_id).pk
        },
    )
    return SegmentGrant.objects.get(pk=result["grant_id"])


GRANT_CHUNK = 5_000  # members per call of the coupons service (it takes at most 10,000)


def _grant(*, actor: Actor, segment_id: int, template_id: int, campaign_id: int | None) -> SegmentGrant:
    from o2o.coupons.models import CouponSource
    from o2o.coupons.selectors import get_template
    from o2o.coupons.services import grant_coupons

    segment = _segment(segment_id)
    template = get_template(actor=actor, template_id=template_id)
    # The coupons count for the template's campaign (its discounts name it, its control group is
    # held out by the coupons service): a grant names the same campaign or none.
    if campaign_id is not None and campaign_id != template.campaign_id:
        raise DomainError(ErrorCode.INVALID, "the coupon template belongs to another campaign", field="campaign_id")
    campaign = _open_campaign(template.campaign_id)
    member_ids = list(segment_rules.members_matching(segment.rules).order_by("pk").values_list("pk", flat=True))
    grant = SegmentGrant.objects.create(
        segment=segment, template_id=template.pk, campaign=campaign, members=len(member_ids), created_by=actor.user
    )
    for start in range(0, len(member_ids), GRANT_CHUNK):
        outcome = grant_coupons(
            template_id=template.pk,
            member_ids=member_ids[start : start + GRANT_CHUNK],
            source=CouponSource.GRANT,
            reference=grant.reference,
            actor_id=actor.user_id,
        )
        grant.granted += outcome.granted
        grant.already += outcome.already
        grant.refused += outcome.refused
        grant.held_out += outcome.held_out
    grant.save(update_fields=["granted", "already", "refused", "held_out"])
    return grant


# --- message templates and broadcasts ------------------------------------------------------


@transaction.atomic(durable=True)
def create_message_template(
    *, actor: Actor, name: str, channel: str, body: str, language: str = "zh-hans"
) -> MessageTemplate:
    authorize(actor, Operation.SEND_BROADCASTS)
    if channel not in MessageChannel.values:
        raise DomainError(ErrorCode.INVALID, "unknown channel", field="channel")
    if not name.strip() or not body.strip():
        raise DomainError(ErrorCode.INVALID, "a template needs a name and a body")
    try:
        body.format(name="")
    except (KeyError, IndexError, ValueError):
        raise DomainError(ErrorCode.INVALID, "the body may use {name} and no other placeholder", field="body") from None
    return MessageTemplate.objects.create(name=name.strip(), channel=channel, body=body, language=language)


@transaction.atomic(durable=True)
def create_broadcast(
    *,
    actor: Actor,
    segment_id: int,
    template_id: int,
    campaign_id: int | None = None,
    scheduled_at: datetime | None = None,
) -> Broadcast:
    """A draft, or scheduled when given a time (the periodic job sends it then)."""
    authorize(actor, Operation.SEND_BROADCASTS)
    segment = _segment(segment_id)
    template = MessageTemplate.objects.filter(pk=template_id).first()
    if template is None:
        raise not_found("message template")
    campaign = _open_campaign(campaign_id)
    state = BroadcastState.SCHEDULED if scheduled_at is not None else BroadcastState.DRAFT
    return Broadcast.objects.create(
        campaign=campaign, segment=segment, template=template, scheduled_at=scheduled_at, state=state,
        created_by=actor.user,
    )  # fmt: skip


@transaction.atomic(durable=True)
def send_broadcast(*, actor: Actor, broadcast_id: int) -> Broadcast:
    """Send a draft or scheduled broadcast now (the button)."""
    authorize(actor, Operation.SEND_BROADCASTS)
    return _send(broadcast_id=broadcast_id, now=timezone.now())


def send_due_broadcasts(*, now: datetime | None = None) -> int:
    """The periodic job: send every scheduled broadcast that is due, each in its own transaction."""
    now = now or timezone.now()
    due = Broadcast.objects.filter(state=BroadcastState.SCHEDULED, scheduled_at__lte=now)
    sent = 0
    for broadcast_id in list(due.order_by("scheduled_at", "pk").values_list("pk", flat=True)):
        with transaction.atomic(durable=True):
            try:
                _send(broadcast_id=broadcast_id, now=now)
            except DomainError:
                continue  # sent by the button meanwhile
            sent += 1
    return sent


def _send(*, broadcast_id: int, now: datetime) -> Broadcast:
    # Claim it by one conditional UPDATE: a second sender (the job and the button) finds nothing.
    claimed = Broadcast.objects.filter(
        pk=broadcast_id, state__in=(BroadcastState.DRAFT, BroadcastState.SCHEDULED)
    ).update(state=BroadcastState.SENDING)
    if not claimed:
        if not Broadcast.objects.filter(pk=broadcast_id).exists():
            raise not_found("broadcast")
        raise DomainError(ErrorCode.ILLEGAL_TRANSITION, "this broadcast has been sent")
    broadcast = Broadcast.objects.select_related("campaign", "segment", "template").get(pk=broadcast_id)
    if broadcast.campaign is not None and broadcast.campaign.ends_at is not None and broadcast.campaign.ends_at <= now:
        raise DomainError(ErrorCode.ILLEGAL_TRANSITION, "the campaign has ended")
    members = _lock_members(segment_rules.members_matching(broadcast.segment.rules))
    recent = _recent_counts([m.pk for m in members], now=now)
    cap = settings.O2O_MARKETING_MESSAGES_PER_WEEK
    deliveries = []
    for member in members:
        status = _status_for(broadcast, member, recent.get(member.pk, 0), cap)
        message = _queue(broadcast.template, member) if status == DeliveryStatus.QUEUED else None
        deliveries.append(BroadcastDelivery(broadcast=broadcast, member=member, outbox_message=message, status=status))
    BroadcastDelivery.objects.bulk_create(deliveries)
    broadcast.state, broadcast.sent_at = BroadcastState.DONE, now
    broadcast.save(update_fields=["state", "sent_at"])
    return broadcast


def _lock_members(members) -> list[Member]:
    """Lock the recipients in primary-key order: two broadcasts sending at once to the same member
    count each other's deliveries against the cap instead of both passing it."""
    return list(members.select_for_update().order_by("pk").only("pk", "name", "phone", "marketing_consent"))


def _recent_counts(member_ids: list[int], *, now: datetime) -> dict[int, int]:
    """Marketing messages each member was queued in the last 7 days (one query)."""
    rows = (
        BroadcastDelivery.objects.filter(
            member_id__in=member_ids, status=DeliveryStatus.QUEUED, created_at__gt=now - CAP_WINDOW
        )
        .values("member_id")
        .annotate(n=Count("pk"))
    )
    return {row["member_id"]: row["n"] for row in rows}


def _status_for(broadcast: Broadcast, member: Member, recent: int, cap: int) -> DeliveryStatus:
    if not member.marketing_consent:
        return DeliveryStatus.SKIPPED_NO_CONSENT
    if broadcast.campaign is not None and broadcast.campaign.holds_out(member.pk):
        return DeliveryStatus.SKIPPED_CONTROL
    if recent >= cap:
        return DeliveryStatus.SKIPPED_CAP
    return DeliveryStatus.QUEUED


# Where each channel reaches a member: SMS by phone; WeChat and app push by the member's id, which
# their backends map to an openid / device token. A new channel is a new entry here.
RECIPIENTS = {
    MessageChannel.SMS: lambda member: member.phone,
    MessageChannel.WECHAT: lambda member: f"member:{member.pk}",
    MessageChannel.PUSH: lambda member: f"member:{member.pk}",
}


def _queue(template: MessageTemplate, member: Member):
    body = template.body.replace("{name}", member.name or "")
    return queue_message(channel=template.channel, recipient=RECIPIENTS[template.channel](member), body=body)
