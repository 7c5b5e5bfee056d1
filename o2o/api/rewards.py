"""Referral (老带新), red packets and store check-ins (docs/rewards.md): the marketer creates them
and reads their reports; a member shares a link, claims a share, checks in; a new customer signs
up through a link or joins at a check-in QR. Every rule lives in o2o.rewards."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field, StrictInt

from o2o.access import services as access
from o2o.api.accounts import TokenOut
from o2o.api.auth import actor
from o2o.api.types import Id, IdempotencyKey, Money, MoneyOrZero
from o2o.core.ratelimits import client_address
from o2o.core.site import absolute_url
from o2o.rewards import selectors, services
from o2o.rewards.models import Channel, RewardKind

router = Router(tags=["rewards"])

Name = Annotated[str, Field(min_length=1, max_length=120)]
Code = Annotated[str, Field(min_length=1, max_length=16)]
Points = Annotated[StrictInt, Field(ge=0, le=services.MAX_POINTS)]


class RewardIn(Schema):
    coupon_template_id: Id | None = None
    points: Points = 0
    credit: MoneyOrZero = Decimal("0.00")

    def reward(self) -> services.Reward:
        return services.Reward(coupon_template_id=self.coupon_template_id, points=self.points, credit=self.credit)


class ProgrammeIn(Schema):
    campaign_id: Id
    name: Name
    referrer: RewardIn
    friend: RewardIn
    starts_at: datetime
    ends_at: datetime | None = None


class ProgrammeOut(Schema):
    id: int
    campaign_id: int
    name: str
    referrer_coupon_template_id: int | None
    referrer_points: int
    referrer_credit: Decimal
    friend_coupon_template_id: int | None
    friend_points: int
    friend_credit: Decimal
    starts_at: datetime
    ends_at: datetime | None
    active: bool


class ReferralOut(Schema):
    id: int
    friend: str  # the friend's phone, masked
    state: str
    reason: str
    created_at: datetime
    settled_at: datetime | None


class GrantOut(Schema):
    id: int
    campaign_id: int
    source: str
    kind: str
    amount: Decimal
    points: int
    coupon_id: int | None
    channel: str
    location_id: int | None
    created_at: datetime


class MyReferralOut(Schema):
    code: str
    link: str
    referrals: list[ReferralOut]
    rewards: list[GrantOut]


class SignUpIn(Schema):
    phone: str = Field(min_length=3, max_length=32)
    code: str = Field(min_length=4, max_length=16, description="The one-time code sent to the phone (auth/otp)")
    referral_code: Code
    device_id: str = Field("", max_length=128, description="The client's device id (the fraud guard counts it once)")
    name: str = Field("", max_length=100)
    marketing_consent: bool = False


class RedPacketIn(Schema):
    campaign_id: Id
    name: Name
    kind: Literal["wallet_credit", "coupon"]
    shares: StrictInt = Field(ge=1, le=services.MAX_SHARES)
    budget: MoneyOrZero = Decimal("0.00")
    min_share: Money | None = None
    max_share: Money | None = None
    coupon_template_id: Id | None = None
    starts_at: datetime
    ends_at: datetime


class RedPacketOut(Schema):
    id: int
    campaign_id: int
    name: str
    code: str
    link: str
    kind: str
    budget: Decimal
    shares: int
    min_share: Decimal
    max_share: Decimal
    coupon_template_id: int | None
    starts_at: datetime
    ends_at: datetime


class RedPacketReportOut(Schema):
    packet: RedPacketOut
    claimed: int
    claimed_amount: Decimal
    budget_left: Decimal
    shares_left: int


class ShareOut(Schema):
    packet_id: int
    seq: int
    kind: str
    amount: Decimal
    claimed_at: datetime


class ClaimIn(Schema):
    channel: Literal["online", "in_store"] = "online"


class CheckInPointIn(Schema):
    campaign_id: Id
    location_id: Id
    name: Name
    reward: RewardIn
    once_per_day: bool = False
    starts_at: datetime
    ends_at: datetime


class CheckInPointOut(Schema):
    id: int
    campaign_id: int
    location_id: int
    name: str
    code: str
    link: str
    coupon_template_id: int | None
    points: int
    credit: Decimal
    once_per_day: bool
    starts_at: datetime
    ends_at: datetime


class CheckInOut(Schema):
    id: int
    point_id: int
    campaign_id: int
    location_id: int
    joined_here: bool
    at: datetime


class JoinAtCheckInIn(Schema):
    phone: str = Field(min_length=3, max_length=32)
    code: str = Field(
        min_length=4, max_length=16, description="The one-time code sent to the phone (members/join/code)"
    )
    name: str = Field("", max_length=100)
    marketing_consent: bool = False


class JoinedOut(Schema):
    token: str
    token_type: str = "Bearer"
    check_in: CheckInOut


def _packet_out(request: HttpRequest, packet) -> dict:
    link = absolute_url(f"/shop/red-packets/{packet.code}/", request)
    return {**{f: getattr(packet, f) for f in RedPacketOut.model_fields if f != "link"}, "link": link}


def _point_out(request: HttpRequest, point) -> dict:
    link = absolute_url(f"/shop/check-in/{point.code}/", request)
    return {**{f: getattr(point, f) for f in CheckInPointOut.model_fields if f != "link"}, "link": link}


# --- referral ---------------------------------------------------------------------------------


@router.post("/referral-programmes", response={201: ProgrammeOut})
def create_referral_programme(request: HttpRequest, payload: ProgrammeIn):
    """Marketer / HQ: a new programme replaces the running one."""
    programme = services.create_referral_programme(
        actor=actor(request),
        campaign_id=payload.campaign_id,
        name=payload.name,
        referrer=payload.referrer.reward(),
        friend=payload.friend.reward(),
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
    )
    return Status(201, programme)


@router.get("/me/referral", response=MyReferralOut)
def my_referral(request: HttpRequest):
    """The member's share link (stable), their referrals (friends' phones masked) and rewards."""
    who = actor(request)
    code = services.my_share_code(actor=who).code
    referrals = [
        {**{f: getattr(r, f) for f in ("id", "state", "reason", "created_at", "settled_at")},
         "friend": selectors.mask_phone(r.friend.phone)}
        for r in selectors.my_referrals(actor=who)[:100]
    ]  # fmt: skip
    return {
        "code": code,
        "link": absolute_url(f"/shop/r/{code}/", request),
        "referrals": referrals,
        "rewards": list(selectors.my_reward_grants(actor=who)[:100]),
    }


@router.post("/referrals/sign-up", response={201: TokenOut}, auth=None)
def sign_up_with_referral(request: HttpRequest, payload: SignUpIn):
    """A new customer joins through a share link with a proven phone (code from auth/otp); the
    answer is a member token. An existing member: 409 not_a_new_member; the referrer's own phone:
    422 self_referral."""
    member, _referral = services.sign_up_with_referral(
        phone=payload.phone,
        code=payload.code,
        referral_code=payload.referral_code,
        device_id=payload.device_id,
        name=payload.name,
        marketing_consent=payload.marketing_consent,
        client=client_address(request),
    )
    return Status(201, {"token": access.issue_token(member=member)})


# --- red packets ------------------------------------------------------------------------------


@router.post("/red-packets", response={201: RedPacketOut})
def create_red_packet(request: HttpRequest, payload: RedPacketIn, idempotency_key: IdempotencyKey = None):
    """Marketer / HQ: the budget is cut into `shares` random amounts now (exactly the budget)."""
    spec = services.RedPacketSpec(
        campaign_id=payload.campaign_id,
        name=payload.name,
        kind=RewardKind(payload.kind),
        shares=payload.shares,
        budget=payload.budget,
        min_share=payload.min_share,
        max_share=payload.max_share,
        coupon_template_id=payload.coupon_template_id,
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
    )
    packet = services.create_red_packet(actor=actor(request), spec=spec, idempotency_key=idempotency_key)
    return Status(201, _packet_out(request, packet))


@router.get("/red-packets/{packet_id}", response=RedPacketReportOut)
def red_packet_report(request: HttpRequest, packet_id: Id):
    report = selectors.red_packet_report(actor=actor(request), packet_id=packet_id)
    return {
        "packet": _packet_out(request, report.packet),
        "claimed": report.claimed,
        "claimed_amount": report.claimed_amount,
        "budget_left": report.budget_left,
        "shares_left": report.shares_left,
    }


@router.post("/red-packets/{code}/claim", response={201: ShareOut})
def claim_red_packet(
    request: HttpRequest, code: Code, payload: ClaimIn | None = None, idempotency_key: IdempotencyKey = None
):
    """A member's one share: wallet credit (bonus) or a coupon. 409 red_packet_empty when none is left."""
    channel = Channel(payload.channel if payload else "online")
    share = services.claim_red_packet(actor=actor(request), code=code, channel=channel, idempotency_key=idempotency_key)
    return Status(
        201,
        {"packet_id": share.packet_id, "seq": share.seq, "kind": share.packet.kind, "amount": share.amount,
         "claimed_at": share.claimed_at},
    )  # fmt: skip


# --- check-ins --------------------------------------------------------------------------------


@router.post("/check-in-points", response={201: CheckInPointOut})
def create_check_in_point(request: HttpRequest, payload: CheckInPointIn):
    spec = services.CheckInPointSpec(
        campaign_id=payload.campaign_id,
        location_id=payload.location_id,
        name=payload.name,
        reward=payload.reward.reward(),
        once_per_day=payload.once_per_day,
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
    )
    return Status(201, _point_out(request, services.create_check_in_point(actor=actor(request), spec=spec)))


@router.post("/check-ins/{code}", response={201: CheckInOut})
def check_in(request: HttpRequest, code: Code):
    """A signed-in member scanned the store's QR: the campaign's reward, once (or once a day)."""
    return Status(201, services.check_in(actor=actor(request), code=code))


@router.post("/check-ins/{code}/join", response={201: JoinedOut}, auth=None)
def join_at_check_in(request: HttpRequest, code: Code, payload: JoinAtCheckInIn):
    """A walk-in without an account: joins from that store with a proven phone (code from
    members/join/code), then checks in. The answer is a member token and the check-in."""
    member, visit = services.join_and_check_in(
        phone=payload.phone,
        code=payload.code,
        point_code=code,
        name=payload.name,
        marketing_consent=payload.marketing_consent,
        client=client_address(request),
    )
    return Status(201, {"token": access.issue_token(member=member), "check_in": visit})


# --- attribution ------------------------------------------------------------------------------


@router.get("/campaigns/{campaign_id}")
def campaign_rewards(request: HttpRequest, campaign_id: Id) -> dict:
    """What the campaign's referral, red packets and check-ins gave: by kind, source, channel, store."""
    report = selectors.campaign_rewards(actor=actor(request), campaign_id=campaign_id)
    report["by_store"] = [{**row, "amount": str(row["amount"])} for row in report["by_store"]]
    for key in ("by_kind", "by_source", "by_channel"):
        report[key] = {k: {**v, "amount": str(v["amount"])} for k, v in report[key].items()}
    report["wallet_credit"] = str(report["wallet_credit"])
    return report
