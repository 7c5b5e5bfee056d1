"""Reads of points and levels for the API, the pages and other apps."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone

from o2o.access.actors import Actor
from o2o.access.permissions import Operation, authorize, may
from o2o.core.errors import DomainError, ErrorCode, not_found
from o2o.loyalty.models import CategoryPointsRule, GrowthEntry, PointsAccount, PointsEarning, PointsEntry, PointsLot
from o2o.loyalty.services import points_value
from o2o.members.models import Member, MemberLevel

GROWTH_WINDOW = timedelta(days=365)
# "Expiring soon" on the member's page: lots that expire within this many days.
EXPIRING_SOON = timedelta(days=90)


@dataclass(frozen=True)
class Expiring:
    on: date  # the last day the points can be used
    points: int


@dataclass(frozen=True)
class PointsBalance:
    available: int
    pending: int  # earned on orders that have not completed yet
    expiring_soon: Expiring | None  # the next lots to expire, if within EXPIRING_SOON


def last_day(expires_at: datetime) -> date:
    """Lots expire at the start of a day; the last day they can be used is the one before."""
    return timezone.localdate(expires_at) - timedelta(days=1)


def pending_points(*, member_id: int) -> int:
    open_points = PointsEarning.objects.filter(member_id=member_id, state=PointsEarning.State.PENDING).aggregate(
        total=Sum(F("points") - F("reversed_points"))
    )["total"]
    return open_points or 0


def points_balance(*, member_id: int, now: datetime | None = None) -> PointsBalance:
    now = now or timezone.now()
    available = PointsAccount.objects.filter(member_id=member_id).values_list("available", flat=True).first() or 0
    live = PointsLot.objects.filter(account__member_id=member_id, remaining__gt=0, expires_at__gt=now)
    first = live.filter(expires_at__lte=now + EXPIRING_SOON).order_by("expires_at").values("expires_at").first()
    expiring = None
    if first is not None:
        # every lot that expires on the same day as the first one
        same_day = live.filter(expires_at__lt=first["expires_at"] + timedelta(days=1))
        expiring = Expiring(on=last_day(first["expires_at"]), points=same_day.aggregate(s=Sum("remaining"))["s"] or 0)
    return PointsBalance(available=available, pending=pending_points(member_id=member_id), expiring_soon=expiring)


def points_history(*, member_id: int) -> QuerySet[PointsEntry]:
    """The member's movements of available points, newest first."""
    return PointsEntry.objects.filter(account__member_id=member_id).order_by("-created_at", "-pk")


def pending_earnings(*, member_id: int) -> QuerySet[PointsEarning]:
    """Earnings still to become available; a line returned in full has nothing left to show."""
    return PointsEarning.objects.filter(
        member_id=member_id, state=PointsEarning.State.PENDING, points__gt=F("reversed_points")
    ).order_by("-pk")


def growth_value(*, member_id: int, now: datetime | None = None) -> int:
    """Yuan kept on orders completed in the last 12 months (whole yuan, rounded down)."""
    now = now or timezone.now()
    total = GrowthEntry.objects.filter(member_id=member_id, at__gt=now - GROWTH_WINDOW).aggregate(s=Sum("amount"))["s"]
    return int(total or 0)


@dataclass(frozen=True)
class PointsLiability:
    accounts: int
    available: int
    available_value: Decimal
    pending: int
    pending_value: Decimal
    expiring_this_year: int  # available points whose lots expire before next year starts


def points_liability(*, now: datetime | None = None) -> PointsLiability:
    """What the chain owes in points: available and pending, and what they are worth as tenders."""
    now = now or timezone.now()
    accounts = PointsAccount.objects.aggregate(n=Count("pk"), available=Sum("available"))
    pending = (
        PointsEarning.objects.filter(state=PointsEarning.State.PENDING).aggregate(
            s=Sum(F("points") - F("reversed_points"))
        )["s"]
        or 0
    )
    next_year = timezone.make_aware(datetime.combine(date(timezone.localtime(now).year + 1, 1, 1), time.min))
    expiring = PointsLot.objects.filter(Q(remaining__gt=0), expires_at__lte=next_year).aggregate(s=Sum("remaining"))
    available = accounts["available"] or 0
    return PointsLiability(
        accounts=accounts["n"] or 0,
        available=available,
        available_value=points_value(available),
        pending=pending,
        pending_value=points_value(pending),
        expiring_this_year=expiring["s"] or 0,
    )


@dataclass(frozen=True)
class LoyaltyStatus:
    member_id: int
    balance: PointsBalance
    available_value: Decimal  # what the available points pay as a tender
    level: MemberLevel | None
    growth: int
    next_level: MemberLevel | None  # the next level up, if any

    @property
    def growth_needed(self) -> int | None:
        return None if self.next_level is None else max(self.next_level.min_growth - self.growth, 0)


def loyalty_status(*, member_id: int, now: datetime | None = None) -> LoyaltyStatus:
    member = Member.objects.select_related("level").filter(pk=member_id).first()
    if member is None:
        raise not_found("member")
    balance = points_balance(member_id=member_id, now=now)
    growth = growth_value(member_id=member_id, now=now)
    above = MemberLevel.objects.order_by("rank")
    if member.level is not None:
        above = above.filter(rank__gt=member.level.rank)
    return LoyaltyStatus(
        member_id=member_id,
        balance=balance,
        available_value=points_value(balance.available),
        level=member.level,
        growth=growth,
        next_level=above.first(),
    )


def my_loyalty(*, actor: Actor) -> LoyaltyStatus:
    """The signed-in member's own points and level (nobody else's)."""
    return loyalty_status(member_id=actor.require_member().pk)


def member_loyalty_for(*, actor: Actor, member_id: int) -> LoyaltyStatus:
    """A member's points and level for the staff who may adjust them (HQ, customer service)."""
    authorize(actor, Operation.ADJUST_POINTS)
    return loyalty_status(member_id=member_id)


def my_history(*, actor: Actor) -> QuerySet[PointsEntry]:
    return points_history(member_id=actor.require_member().pk)


def my_pending(*, actor: Actor) -> QuerySet[PointsEarning]:
    return pending_earnings(member_id=actor.require_member().pk)


def liability_for(*, actor: Actor) -> PointsLiability:
    authorize(actor, Operation.VIEW_POINTS_LIABILITY)
    return points_liability()


def levels() -> QuerySet[MemberLevel]:
    return MemberLevel.objects.order_by("rank")


def category_rules() -> QuerySet[CategoryPointsRule]:
    return CategoryPointsRule.objects.select_related("category").order_by("category__name")


@dataclass(frozen=True)
class RulesOverview:
    """What HQ's points-and-levels page shows this actor: the liability (HQ), the rules (HQ) and the
    adjustment form (HQ, customer service)."""

    liability: PointsLiability | None
    may_manage_rules: bool
    may_adjust: bool


def rules_overview(*, actor: Actor) -> RulesOverview:
    overview = RulesOverview(
        liability=points_liability() if may(actor, Operation.VIEW_POINTS_LIABILITY) else None,
        may_manage_rules=may(actor, Operation.MANAGE_LOYALTY_RULES),
        may_adjust=may(actor, Operation.ADJUST_POINTS),
    )
    if overview.liability is None and not overview.may_manage_rules and not overview.may_adjust:
        raise DomainError(ErrorCode.FORBIDDEN, "your role may not see points and levels")
    return overview
