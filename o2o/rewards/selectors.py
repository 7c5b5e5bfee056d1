"""Reads of referral, red packets and check-ins: the member's own lists, the marketer's reports,
the campaign report's figures (`rewards_by_campaign`) and the audit of red packets."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, DecimalField, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, Round

from o2o.access.actors import Actor
from o2o.access.permissions import Operation, authorize
from o2o.core.errors import not_found
from o2o.core.findings import Finding
from o2o.core.money import money_field_kwargs, to_money
from o2o.members import phones
from o2o.rewards.models import (
    CheckIn,
    CheckInPoint,
    RedPacket,
    RedPacketShare,
    Referral,
    RewardGrant,
    RewardKind,
)

ZERO = Decimal("0.00")
# In the database: a money-typed zero, so a Coalesce(Sum(...)) is read back as money (two places) on SQLite,
# which sums decimals as floats; figures read into Python are still passed through to_money.
DB_ZERO = Value(ZERO, output_field=DecimalField(**money_field_kwargs()))


def mask_phone(phone: str) -> str:
    """+8613812345678 -> 138****5678: the members' mask, without the country code of a Chinese number."""
    return phones.mask_phone(phone).removeprefix("+86")


def my_referrals(*, actor: Actor) -> QuerySet[Referral]:
    member = actor.require_member()
    return Referral.objects.filter(referrer=member).select_related("friend").order_by("-created_at", "-pk")


def my_reward_grants(*, actor: Actor) -> QuerySet[RewardGrant]:
    member = actor.require_member()
    return RewardGrant.objects.filter(member=member).order_by("-created_at", "-pk")


@dataclass(frozen=True)
class PacketReport:
    packet: RedPacket
    claimed: int
    claimed_amount: Decimal
    budget_left: Decimal
    shares_left: int


def red_packet_report(*, actor: Actor, packet_id: int) -> PacketReport:
    authorize(actor, Operation.MANAGE_REWARDS)
    packet = RedPacket.objects.filter(pk=packet_id).first()
    if packet is None:
        raise not_found("red packet")
    figures = RedPacketShare.objects.filter(packet=packet).aggregate(
        claimed=Count("pk", filter=Q(member__isnull=False)),
        claimed_amount=Coalesce(Sum("amount", filter=Q(member__isnull=False)), DB_ZERO),
    )
    claimed_amount = to_money(figures["claimed_amount"])  # SQLite sums decimals as floats
    return PacketReport(
        packet=packet,
        claimed=figures["claimed"],
        claimed_amount=claimed_amount,
        budget_left=to_money(packet.budget - claimed_amount),
        shares_left=packet.shares - figures["claimed"],
    )


def red_packets(*, actor: Actor) -> QuerySet[RedPacket]:
    authorize(actor, Operation.MANAGE_REWARDS)
    return RedPacket.objects.select_related("campaign").annotate(
        claimed=Count("cut_shares", filter=Q(cut_shares__member__isnull=False)),
        claimed_amount=Coalesce(Sum("cut_shares__amount", filter=Q(cut_shares__member__isnull=False)), DB_ZERO),
    )


def check_in_points(*, actor: Actor) -> QuerySet[CheckInPoint]:
    authorize(actor, Operation.MANAGE_REWARDS)
    points = CheckInPoint.objects.select_related("campaign", "location").annotate(visits=Count("check_ins"))
    if actor.location_ids is not None:
        points = points.filter(location_id__in=actor.location_ids)
    return points


def rewards_by_campaign(campaign_id: int) -> dict:
    """What the campaign's referral, red packets and check-ins gave, for its report:

    {"grants": n, "members": n, "wallet_credit": Decimal, "points": n, "coupons": n,
     "by_kind": {kind: {"count", "amount", "points"}},
     "by_source": {source: {"count", "amount", "points"}},
     "by_channel": {channel: {"count", "amount", "points"}},
     "by_store": [{"location_id", "count", "amount", "points"}, ...]  (None: not at a store),
     "check_ins": n, "joined_at_check_in": n}"""
    grants = RewardGrant.objects.filter(campaign_id=campaign_id).order_by()
    sums = {"count": Count("pk"), "amount": Coalesce(Sum("amount"), DB_ZERO), "points": Coalesce(Sum("points"), 0)}

    def money(row: dict) -> dict:
        return {**row, "amount": to_money(row["amount"])}  # SQLite sums decimals as floats

    def by(field: str) -> dict:
        return {row.pop(field): money(row) for row in grants.values(field).annotate(**sums)}

    totals = money(grants.aggregate(members=Count("member", distinct=True), **sums))
    by_kind = by("kind")
    visits = CheckIn.objects.filter(campaign_id=campaign_id).aggregate(
        check_ins=Count("pk"), joined=Count("pk", filter=Q(joined_here=True))
    )
    return {
        "grants": totals["count"],
        "members": totals["members"],
        "wallet_credit": by_kind.get(RewardKind.WALLET_CREDIT, {}).get("amount", ZERO),
        "points": by_kind.get(RewardKind.POINTS, {}).get("points", 0),
        "coupons": by_kind.get(RewardKind.COUPON, {}).get("count", 0),
        "by_kind": by_kind,
        "by_source": by("source"),
        "by_channel": by("channel"),
        "by_store": [
            {"location_id": row.pop("location_id"), **money(row)}
            for row in grants.values("location_id").annotate(**sums).order_by("location_id")
        ],
        "check_ins": visits["check_ins"],
        "joined_at_check_in": visits["joined"],
    }


def campaign_rewards(*, actor: Actor, campaign_id: int) -> dict:
    """`rewards_by_campaign` for a marketer (MANAGE_REWARDS)."""
    authorize(actor, Operation.MANAGE_REWARDS)
    return rewards_by_campaign(campaign_id)


def red_packets_against_shares() -> list[Finding]:
    """Audit: a wallet-credit packet's shares add up exactly to its budget, a packet has exactly
    its number of shares, and every claimed share was paid (its RewardGrant)."""
    findings = []
    total = Round(Coalesce(Sum("cut_shares__amount"), DB_ZERO), 2)
    rows = RedPacket.objects.annotate(cut=Count("cut_shares"), total=total)
    # Both sides rounded to the cent: SQLite sums decimals as floats (88.88 comes back as 88.8800000000001).
    broken = ~Q(cut=F("shares")) | (Q(kind=RewardKind.WALLET_CREDIT) & ~Q(total=Round(F("budget"), 2)))
    for packet in rows.filter(broken):
        findings.append(
            Finding(
                "red_packet_shares",
                f"red packet {packet.pk}",
                f"{packet.cut} shares of {packet.total}, expected {packet.shares} of {packet.budget}",
            )  # fmt: skip
        )
    claimed = RedPacketShare.objects.filter(member__isnull=False).values_list("packet_id", "seq")
    paid = set(RewardGrant.objects.filter(source="red_packet").values_list("reference", flat=True))
    for packet_id, seq in claimed:
        if f"red_packet:{packet_id}:{seq}" not in paid:
            findings.append(Finding("red_packet_paid", f"red packet {packet_id} share {seq}", "claimed, not paid"))
    return findings
