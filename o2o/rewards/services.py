"""Every write of referral, red packets and check-ins (docs/rewards.md).

Rewards are paid through the apps that own the money: `wallet.services.credit_gift` (bonus, never
principal), `loyalty.services.award_points`, `coupons.services.grant_coupon`, each idempotent on
the reference this app gives it ("referral:<id>:referrer", "red_packet:<packet>:<seq>",
"check_in:<id>"), and each recorded as one `RewardGrant` (UNIQUE (kind, reference)) with its
campaign, channel and store.
"""

import hashlib
import hmac
import secrets
from dataclasses import asdict, dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from o2o.access.actors import Actor
from o2o.access.permissions import Operation, authorize
from o2o.catalog.models import Channel as SalesChannel
from o2o.core.codes import random_readable
from o2o.core.errors import DomainError, ErrorCode, not_found
from o2o.core.idempotency import fingerprint, run_once
from o2o.core.money import CENT
from o2o.loyalty.services import award_points
from o2o.members.models import Member
from o2o.members.phones import normalize_phone
from o2o.members.services import join_from_store, prove_phone, register_member
from o2o.pricing.models import Campaign
from o2o.rewards.models import (
    Channel,
    CheckIn,
    CheckInPoint,
    RedPacket,
    RedPacketShare,
    Referral,
    ReferralCode,
    ReferralProgram,
    RewardGrant,
    RewardKind,
    Source,
)
from o2o.stores.selectors import get_location
from o2o.wallet.services import credit_gift, valid_amount

CODE_LENGTH = 10  # share, packet and check-in codes: 31^10 ≈ 8e14, not to be guessed
MAX_SHARES = 10_000
MAX_POINTS = 1_000_000
MAX_CREDIT = Decimal("10000.00")
TAKE_ATTEMPTS = 50  # looks at the open shares while other claims hold them


# ---------------------------------------------------------------------------------------------
# giving a reward (the one place rewards are paid)


@dataclass(frozen=True)
class Reward:
    """What one side gets: any of a coupon, points and wallet credit."""

    coupon_template_id: int | None = None
    points: int = 0
    credit: Decimal = Decimal("0.00")


@dataclass(frozen=True)
class Attribution:
    campaign_id: int
    source: Source
    channel: Channel
    location_id: int | None


def _grant_coupon(*, template_id: int, member_id: int, source: str, reference: str, actor_id: int | None):
    from o2o.coupons.services import grant_coupon  # the coupons app owns issuing and its quota

    return grant_coupon(
        template_id=template_id, member_id=member_id, source=source, reference=reference, actor_id=actor_id
    )


def give(
    *, member_id: int, reward: Reward, reference: str, attribution: Attribution, actor_id: int | None = None
) -> list[RewardGrant]:
    """Pay a reward in the caller's transaction; the same reference again pays nothing more."""
    grants = []
    common = {
        "campaign_id": attribution.campaign_id,
        "member_id": member_id,
        "source": attribution.source,
        "reference": reference,
        "channel": attribution.channel,
        "location_id": attribution.location_id,
    }
    if reward.credit:
        credit_gift(member_id=member_id, amount=reward.credit, reference=reference, actor_id=actor_id)
        grants.append(_record(kind=RewardKind.WALLET_CREDIT, amount=reward.credit, **common))
    if reward.points:
        award_points(member_id=member_id, points=reward.points, reference=reference)
        grants.append(_record(kind=RewardKind.POINTS, points=reward.points, **common))
    if reward.coupon_template_id:
        coupon = _grant_coupon(
            template_id=reward.coupon_template_id,
            member_id=member_id,
            source=str(attribution.source),
            reference=reference,
            actor_id=actor_id,
        )
        grants.append(_record(kind=RewardKind.COUPON, coupon_id=coupon.pk, **common))
    return grants


def _record(**fields) -> RewardGrant:
    grant, _created = RewardGrant.objects.get_or_create(
        kind=fields.pop("kind"), reference=fields.pop("reference"), defaults=fields
    )
    return grant


# ---------------------------------------------------------------------------------------------
# validation shared by the marketer's create calls


def _campaign(campaign_id: int) -> Campaign:
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None:
        raise not_found("campaign")
    return campaign


def _window(starts_at: datetime, ends_at: datetime | None) -> None:
    for moment in (starts_at, ends_at):
        if moment is not None and timezone.is_naive(moment):
            raise DomainError(ErrorCode.INVALID, "times need a time zone")
    if ends_at is not None and ends_at <= starts_at:
        raise DomainError(ErrorCode.INVALID, "the end must come after the start", field="ends_at")


def _name(name: str) -> str:
    name = (name or "").strip()
    if not 1 <= len(name) <= 120:
        raise DomainError(ErrorCode.INVALID, "a name of 1 to 120 characters is needed", field="name")
    return name


def _coupon_template(template_id: int | None) -> int | None:
    if template_id is None:
        return None
    from o2o.coupons.models import CouponTemplate

    if not CouponTemplate.objects.filter(pk=template_id).exists():
        raise not_found("coupon template")
    return template_id


def _reward(reward: Reward, *, side: str = "") -> Reward:
    points = reward.points
    if isinstance(points, bool) or not isinstance(points, int) or not 0 <= points <= MAX_POINTS:
        raise DomainError(ErrorCode.INVALID, f"{side}points must be a whole number from 0 to {MAX_POINTS}")
    credit = valid_amount(reward.credit, field=f"{side}credit", maximum=MAX_CREDIT, allow_zero=True)
    return Reward(coupon_template_id=_coupon_template(reward.coupon_template_id), points=points, credit=credit)


def _create_with_code(model, **fields):
    """A row with a fresh random code: the unique index decides, a drawn code that is taken
    (even by a racing insert) is drawn again."""
    for _attempt in range(5):
        code = random_readable(CODE_LENGTH)
        try:
            with transaction.atomic():
                return model.objects.create(code=code, **fields)
        except IntegrityError:
            if not model.objects.filter(code=code).exists():
                raise  # another constraint: not a taken code
    raise DomainError(ErrorCode.CONFLICT, "no code could be drawn; try again")


def _held_out(campaign: Campaign, member_id: int) -> None:
    if campaign.holds_out(member_id):
        raise DomainError(ErrorCode.REWARD_HELD_OUT, "this offer is not available to you")


# ---------------------------------------------------------------------------------------------
# referral (老带新)


@transaction.atomic(durable=True)
def create_referral_programme(
    *,
    actor: Actor,
    campaign_id: int,
    name: str,
    referrer: Reward,
    friend: Reward,
    starts_at: datetime,
    ends_at: datetime | None = None,
) -> ReferralProgram:
    """A new programme replaces the running one (one is active at a time: share links lead to it)."""
    authorize(actor, Operation.MANAGE_REWARDS)
    _campaign(campaign_id)
    _window(starts_at, ends_at)
    referrer, friend = _reward(referrer, side="referrer_"), _reward(friend, side="friend_")
    if not (referrer.coupon_template_id or referrer.points or referrer.credit) and not (
        friend.coupon_template_id or friend.points or friend.credit
    ):
        raise DomainError(ErrorCode.INVALID, "a programme gives the referrer or the friend something")
    ReferralProgram.objects.filter(active=True).update(active=False)
    return ReferralProgram.objects.create(
        campaign_id=campaign_id,
        name=_name(name),
        referrer_coupon_template_id=referrer.coupon_template_id,
        referrer_points=referrer.points,
        referrer_credit=referrer.credit,
        friend_coupon_template_id=friend.coupon_template_id,
        friend_points=friend.points,
        friend_credit=friend.credit,
        starts_at=starts_at,
        ends_at=ends_at,
        created_by_id=actor.user_id,
    )


def running_programme(now: datetime | None = None) -> ReferralProgram | None:
    now = now or timezone.now()
    return (
        ReferralProgram.objects.filter(active=True, starts_at__lte=now)
        .exclude(ends_at__lte=now)
        .select_related("campaign")
        .first()
    )


def my_share_code(*, actor: Actor) -> ReferralCode:
    """The member's stable share code, made at the first ask."""
    member = actor.require_member()
    authorize(actor, Operation.CLAIM_REWARD)
    if (existing := ReferralCode.objects.filter(member=member).first()) is not None:
        return existing
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return ReferralCode.objects.create(member=member, code=random_readable(CODE_LENGTH))
        except IntegrityError:  # a racing first ask of the same member (or a code collision)
            if (existing := ReferralCode.objects.filter(member=member).first()) is not None:
                return existing
    raise DomainError(ErrorCode.CONFLICT, "no share code could be made; try again")


def referrer_by_code(code: str) -> Member:
    row = ReferralCode.objects.select_related("member").filter(code=(code or "").strip().upper()).first()
    if row is None or row.member.anonymised_at is not None:
        raise not_found("referral link")
    return row.member


def _key(kind: str, value: str) -> str:
    """A digest of a fraud-guard value: compared, never shown or kept in clear."""
    value = " ".join((value or "").split()).casefold()
    if not value:
        return ""
    return hmac.new(settings.SECRET_KEY.encode(), f"referral-{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def sign_up_with_referral(
    *,
    phone: str,
    code: str,
    referral_code: str,
    device_id: str = "",
    name: str = "",
    marketing_consent: bool = False,
    client: str = "",
) -> tuple[Member, Referral]:
    """A new customer joins through a member's share link once the phone is proven: the member is
    created and the referral recorded together (pending until the friend's first order completes).

    Refused before the code is used: an unknown link (404), no programme running (409), the
    referrer's own phone (422 self_referral). A phone that is a member already cannot become a
    friend (409 not_a_new_member; nothing is written)."""
    referrer = referrer_by_code(referral_code)
    programme = running_programme()
    if programme is None:
        raise DomainError(ErrorCode.REWARD_NOT_OPEN, "no referral programme is running")
    if normalize_phone(phone) == referrer.phone:
        raise DomainError(ErrorCode.SELF_REFERRAL, "a member cannot refer themself")
    if len(device_id or "") > 128:
        raise DomainError(ErrorCode.INVALID, "a device id has at most 128 characters", field="device_id")
    e164 = prove_phone(phone=phone, code=code, client=client)
    with transaction.atomic(durable=True):
        member, created = register_member(
            phone=e164, name=name, marketing_consent=marketing_consent, channel=Member.RegistrationChannel.H5
        )
        if not created:
            raise DomainError(ErrorCode.NOT_A_NEW_MEMBER, "this phone is a member already; sign in instead")
        referral = Referral.objects.create(
            program=programme,
            referrer=referrer,
            friend=member,
            phone_key=_key("phone", e164),
            device_key=_key("device", device_id),
        )
    return member, referral


_GUARDS = (("phone_key", "phone"), ("device_key", "device"), ("address_key", "delivery address"))


def settle_referral(*, order) -> Referral | None:
    """On ORDER_COMPLETED (the return window closed): the friend's first completed order rewards
    both sides once, unless a rewarded referral already had this phone, device or delivery
    address (then it is blocked, with the reason). Runs in the completing transaction."""
    if order.member_id is None:
        return None
    referral = (
        Referral.objects.select_for_update()
        .select_related("program")
        .filter(friend_id=order.member_id, state=Referral.State.PENDING)
        .first()
    )
    if referral is None:
        return None
    now = timezone.now()
    referral.address_key = _key("address", getattr(order, "delivery_address", ""))
    for field, what in _GUARDS:
        value = getattr(referral, field)
        if value and Referral.objects.filter(state=Referral.State.REWARDED, **{field: value}).exists():
            return _block(referral, f"same {what} already rewarded", now)
    try:
        with transaction.atomic():  # the partial UNIQUEs decide between racing settlements
            Referral.objects.filter(pk=referral.pk, state=Referral.State.PENDING).update(
                state=Referral.State.REWARDED, address_key=referral.address_key, order_id=order.pk, settled_at=now
            )
    except IntegrityError:
        return _block(referral, "same phone, device or address already rewarded", now)
    referral.refresh_from_db()
    _pay_referral(referral, order)
    return referral


def _block(referral: Referral, reason: str, now: datetime) -> Referral:
    Referral.objects.filter(pk=referral.pk, state=Referral.State.PENDING).update(
        state=Referral.State.BLOCKED, reason=reason, address_key=referral.address_key, settled_at=now
    )
    referral.refresh_from_db()
    return referral


def _pay_referral(referral: Referral, order) -> None:
    programme = referral.program
    online = order.channel in SalesChannel.online()
    attribution = Attribution(
        campaign_id=programme.campaign_id,
        source=Source.REFERRAL,
        channel=Channel.ONLINE if online else Channel.IN_STORE,
        location_id=order.selling_location_id,
    )
    sides = (
        (referral.referrer_id, "referrer", programme.referrer_coupon_template_id, programme.referrer_points,
         programme.referrer_credit),
        (referral.friend_id, "friend", programme.friend_coupon_template_id, programme.friend_points,
         programme.friend_credit),
    )  # fmt: skip
    for member_id, side, template_id, points, credit in sides:
        if Member.objects.filter(pk=member_id, anonymised_at__isnull=True).exists():
            reward = Reward(coupon_template_id=template_id, points=points, credit=credit)
            give(
                member_id=member_id, reward=reward, reference=f"referral:{referral.pk}:{side}", attribution=attribution
            )


# ---------------------------------------------------------------------------------------------
# red packets (红包)


def cut(*, budget: Decimal, shares: int, min_share: Decimal, max_share: Decimal, rng=None) -> list[Decimal]:
    """`shares` random amounts, each within [min_share, max_share], summing EXACTLY to `budget`
    (in fen, so no rounding can drift). Each share beyond the minimum is drawn up to twice the
    mean of what is left ("double mean"), within what the remaining shares can still hold."""
    rng = rng or secrets.SystemRandom()
    total, low, high = int(budget / CENT), int(min_share / CENT), int(max_share / CENT)
    extra_room = high - low
    left = total - low * shares
    extras = []
    for i in range(shares - 1):
        rest = shares - i - 1
        floor_ = max(0, left - rest * extra_room)
        ceiling = min(extra_room, left)
        ceiling = max(floor_, min(ceiling, 2 * left // (rest + 1)))
        extra = rng.randint(floor_, ceiling)
        extras.append(extra)
        left -= extra
    extras.append(left)
    rng.shuffle(extras)
    amounts = [(Decimal(low + extra) * CENT).quantize(CENT) for extra in extras]
    if sum(amounts) != budget or any(not min_share <= a <= max_share for a in amounts):
        raise DomainError(ErrorCode.CONFLICT, "the shares did not add up; nothing was created")  # never expected
    return amounts


@dataclass(frozen=True)
class RedPacketSpec:
    campaign_id: int
    name: str
    kind: RewardKind
    shares: int
    starts_at: datetime
    ends_at: datetime
    budget: Decimal = Decimal("0.00")
    min_share: Decimal | None = None
    max_share: Decimal | None = None
    coupon_template_id: int | None = None


def create_red_packet(*, actor: Actor, spec: RedPacketSpec, idempotency_key: str | None = None) -> RedPacket:
    """A packet with its shares cut now: random amounts summing exactly to the budget (wallet
    credit), or one coupon of the template per share. A retry with the same key returns the first."""
    authorize(actor, Operation.MANAGE_REWARDS)
    result = run_once(
        scope=actor.idempotency_scope,
        operation="create_red_packet",
        key=idempotency_key,
        fingerprint=fingerprint(spec=asdict(spec)),
        perform=lambda: {"packet_id": _create_red_packet(actor=actor, spec=spec).pk},
    )
    return RedPacket.objects.get(pk=result["packet_id"])


def _create_red_packet(*, actor: Actor, spec: RedPacketSpec) -> RedPacket:
    _campaign(spec.campaign_id)
    _window(spec.starts_at, spec.ends_at)
    shares = spec.shares
    if isinstance(shares, bool) or not isinstance(shares, int) or not 1 <= shares <= MAX_SHARES:
        raise DomainError(ErrorCode.INVALID, f"shares must be from 1 to {MAX_SHARES}", field="shares")
    fields = {"campaign_id": spec.campaign_id, "name": _name(spec.name), "kind": spec.kind, "shares": shares,
              "starts_at": spec.starts_at, "ends_at": spec.ends_at, "created_by_id": actor.user_id}  # fmt: skip
    if spec.kind == RewardKind.WALLET_CREDIT:
        budget = valid_amount(spec.budget, field="budget")
        low = valid_amount(spec.min_share if spec.min_share is not None else CENT, field="min_share")
        high = valid_amount(spec.max_share if spec.max_share is not None else budget, field="max_share")
        if spec.coupon_template_id is not None:
            raise DomainError(ErrorCode.INVALID, "a wallet-credit packet names no coupon template")
        if high < low or not low * shares <= budget <= high * shares:
            raise DomainError(
                ErrorCode.INVALID, "the budget must lie between shares × smallest and shares × largest share"
            )
        amounts = cut(budget=budget, shares=shares, min_share=low, max_share=high)
        fields.update(budget=budget, min_share=low, max_share=high)
    elif spec.kind == RewardKind.COUPON:
        if spec.coupon_template_id is None:
            raise DomainError(
                ErrorCode.INVALID, "a coupon packet names its coupon template", field="coupon_template_id"
            )
        fields.update(coupon_template_id=_coupon_template(spec.coupon_template_id))
        amounts = [Decimal("0.00")] * shares
    else:
        raise DomainError(ErrorCode.INVALID, "a red packet gives wallet credit or coupons", field="kind")
    packet = _create_with_code(RedPacket, **fields)
    RedPacketShare.objects.bulk_create(
        RedPacketShare(packet=packet, seq=seq, amount=amount) for seq, amount in enumerate(amounts, start=1)
    )
    return packet


def _open_packet(code: str, now: datetime) -> RedPacket:
    packet = RedPacket.objects.filter(code=(code or "").strip().upper()).first()
    if packet is None:
        raise not_found("red packet")
    if not packet.starts_at <= now < packet.ends_at:
        raise DomainError(
            ErrorCode.REWARD_NOT_OPEN, "this red packet is not open", starts_at=packet.starts_at.isoformat()
        )
    return packet


def claim_red_packet(
    *, actor: Actor, code: str, channel: Channel = Channel.ONLINE, idempotency_key: str | None = None
) -> RedPacketShare:
    """One share for the member: the next unclaimed share, taken with SKIP LOCKED and kept by a
    conditional UPDATE (member IS NULL), paid in the same transaction. One share per member per
    packet (UNIQUE): a second claim is 409 reward_already_claimed; none left: 409 red_packet_empty.
    A retry with the same key returns the first share."""
    actor.require_member()
    authorize(actor, Operation.CLAIM_REWARD)
    result = run_once(
        scope=actor.idempotency_scope,
        operation="claim_red_packet",
        key=idempotency_key,
        fingerprint=fingerprint(code=code, channel=channel),
        perform=lambda: {"share_id": _claim_red_packet(actor=actor, code=code, channel=channel).pk},
    )
    return RedPacketShare.objects.select_related("packet").get(pk=result["share_id"])


def _claim_red_packet(*, actor: Actor, code: str, channel: Channel) -> RedPacketShare:
    member = actor.require_member()
    now = timezone.now()
    packet = _open_packet(code, now)
    _held_out(packet.campaign, member.pk)
    if RedPacketShare.objects.filter(packet=packet, member=member).exists():
        raise DomainError(ErrorCode.REWARD_ALREADY_CLAIMED, "you have your share of this red packet")
    share = _take_share(packet, member.pk, channel, now)
    reward = (
        Reward(credit=share.amount)
        if packet.kind == RewardKind.WALLET_CREDIT
        else Reward(coupon_template_id=packet.coupon_template_id)
    )
    attribution = Attribution(
        campaign_id=packet.campaign_id, source=Source.RED_PACKET, channel=channel, location_id=None
    )
    give(member_id=member.pk, reward=reward, reference=f"red_packet:{packet.pk}:{share.seq}", attribution=attribution)
    return share


def _take_share(packet: RedPacket, member_id: int, channel: Channel, now: datetime) -> RedPacketShare:
    open_shares = RedPacketShare.objects.filter(packet=packet, member__isnull=True).order_by("seq")
    for _attempt in range(TAKE_ATTEMPTS):
        # Rows other claims hold are skipped, not waited for: each claimant gets its own share.
        share = open_shares.select_for_update(skip_locked=True).first()
        if share is None:
            # All open shares are held by other claims (which may still fail, e.g. the same
            # member twice): wait for one of them, then look again. None open at all: empty.
            if open_shares.select_for_update().first() is None and not open_shares.exists():
                break
            continue
        try:
            with transaction.atomic():
                taken = open_shares.filter(pk=share.pk).update(member_id=member_id, claimed_at=now, channel=channel)
        except IntegrityError:  # the same member's racing claim took a share first
            raise DomainError(ErrorCode.REWARD_ALREADY_CLAIMED, "you have your share of this red packet") from None
        if taken:
            share.member_id, share.claimed_at, share.channel = member_id, now, channel
            return share
    raise DomainError(ErrorCode.RED_PACKET_EMPTY, "all shares of this red packet are taken")


# ---------------------------------------------------------------------------------------------
# linked campaigns: store check-in QR


@dataclass(frozen=True)
class CheckInPointSpec:
    campaign_id: int
    location_id: int
    name: str
    reward: Reward
    starts_at: datetime
    ends_at: datetime
    once_per_day: bool = False


@transaction.atomic(durable=True)
def create_check_in_point(*, actor: Actor, spec: CheckInPointSpec) -> CheckInPoint:
    authorize(actor, Operation.MANAGE_REWARDS, location_id=spec.location_id)
    _campaign(spec.campaign_id)
    get_location(location_id=spec.location_id)
    _window(spec.starts_at, spec.ends_at)
    reward = _reward(spec.reward)
    if not (reward.coupon_template_id or reward.points or reward.credit):
        raise DomainError(ErrorCode.INVALID, "a check-in gives a coupon, points or wallet credit")
    return _create_with_code(
        CheckInPoint,
        campaign_id=spec.campaign_id,
        location_id=spec.location_id,
        name=_name(spec.name),
        coupon_template_id=reward.coupon_template_id,
        points=reward.points,
        credit=reward.credit,
        once_per_day=bool(spec.once_per_day),
        starts_at=spec.starts_at,
        ends_at=spec.ends_at,
        created_by_id=actor.user_id,
    )


def open_point(code: str, now: datetime | None = None) -> CheckInPoint:
    """The check-in point of this code while it runs; an unknown or expired code is the same 404."""
    now = now or timezone.now()
    point = (
        CheckInPoint.objects.select_related("campaign", "location")
        .filter(code=(code or "").strip().upper(), starts_at__lte=now, ends_at__gt=now)
        .first()
    )
    if point is None:
        raise not_found("check-in point")
    return point


@transaction.atomic(durable=True)
def check_in(*, actor: Actor, code: str) -> CheckIn:
    member = actor.require_member()
    authorize(actor, Operation.CLAIM_REWARD)
    return _check_in(member=member, point=open_point(code), joined_here=False)


def _check_in(*, member: Member, point: CheckInPoint, joined_here: bool) -> CheckIn:
    """Once per member (or once a day): UNIQUE (point, member, slot) decides between racing scans."""
    _held_out(point.campaign, member.pk)
    slot = timezone.localdate().isoformat() if point.once_per_day else "once"
    try:
        with transaction.atomic():
            visit = CheckIn.objects.create(
                point=point,
                member=member,
                campaign_id=point.campaign_id,
                location_id=point.location_id,
                slot=slot,
                joined_here=joined_here,
            )
    except IntegrityError:
        raise DomainError(ErrorCode.REWARD_ALREADY_CLAIMED, "you have checked in here already") from None
    reward = Reward(coupon_template_id=point.coupon_template_id, points=point.points, credit=point.credit)
    attribution = Attribution(
        campaign_id=point.campaign_id, source=Source.CHECK_IN, channel=Channel.IN_STORE, location_id=point.location_id
    )
    give(member_id=member.pk, reward=reward, reference=f"check_in:{visit.pk}", attribution=attribution)
    return visit


def join_and_check_in(
    *, phone: str, code: str, point_code: str, name: str = "", marketing_consent: bool = False, client: str = ""
) -> tuple[Member, CheckIn]:
    """A walk-in without an account scans the point: joins from that store (the store credited,
    the phone proven), then checks in. An existing member is signed in and checks in the same way."""
    point = open_point(point_code)
    member = join_from_store(
        phone=phone,
        code=code,
        store_code=point.location.code,
        name=name,
        marketing_consent=marketing_consent,
        client=client,
    )
    joined_here = member.acquiring_location_id == point.location_id and member.registration_channel == "store_qr"
    with transaction.atomic(durable=True):
        return member, _check_in(member=member, point=point, joined_here=joined_here)
