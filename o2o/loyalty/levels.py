"""Member levels: growth value from completed orders, the nightly up/down-grade, HQ's level rules.

Growth value = yuan kept (net, after returns) on orders completed in the last 12 months, whole
yuan rounded down. A member's level is the highest one whose `min_growth` it reaches; members who
never completed an order and have no level are left without one (the hot order path of a member
without a level stays cheapest).
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from o2o.access.actors import Actor
from o2o.access.permissions import Operation, authorize
from o2o.core.errors import DomainError, ErrorCode, not_found
from o2o.core.messaging import queue_message
from o2o.core.money import CENT
from o2o.loyalty.models import GrowthEntry, LevelChange
from o2o.loyalty.selectors import GROWTH_WINDOW
from o2o.members.models import Member, MemberLevel


def record_growth(*, member_id: int, order_id: int, amount: Decimal, now: datetime | None = None) -> None:
    """On ORDER_COMPLETED: the order's kept amount counts towards the member's growth (once)."""
    GrowthEntry.objects.bulk_create(
        [GrowthEntry(member_id=member_id, order_id=order_id, amount=max(amount, Decimal(0)), at=now or timezone.now())],
        ignore_conflicts=True,
    )


def level_for(growth: int, levels: list[MemberLevel]) -> MemberLevel | None:
    """The highest level the growth reaches (levels in any order)."""
    reached = [level for level in levels if level.min_growth <= growth]
    return max(reached, key=lambda level: level.min_growth, default=None)


def recompute_levels(now: datetime | None = None) -> int:
    """The nightly job: every member with growth in the window or a level gets the level their
    growth reaches, by a conditional UPDATE (only if nobody changed it meanwhile); each change is
    recorded and told to the member. One transaction per change. Returns the number of changes."""
    now = now or timezone.now()
    levels = list(MemberLevel.objects.all())
    window = GrowthEntry.objects.filter(at__gt=now - GROWTH_WINDOW)
    growth = dict(window.values("member_id").annotate(s=Sum("amount")).values_list("member_id", "s"))
    has_growth = Exists(window.filter(member_id=OuterRef("pk")))
    candidates = (
        Member.objects.filter(Q(level__isnull=False) | has_growth, anonymised_at__isnull=True)
        .order_by("pk")
        .values_list("pk", "level_id", "phone")
    )
    by_id = {level.pk: level for level in levels}
    changed = 0
    for member_id, level_id, phone in candidates.iterator(chunk_size=2000):
        value = int(growth.get(member_id) or 0)
        target = level_for(value, levels)
        if (target.pk if target else None) == level_id:
            continue
        changed += _change_level(member_id, phone, by_id.get(level_id), target, value)
    return changed


@transaction.atomic
def _change_level(member_id: int, phone: str, old: MemberLevel | None, new: MemberLevel | None, growth: int) -> int:
    if not Member.objects.filter(pk=member_id, level_id=old.pk if old else None).update(level=new):
        return 0  # changed meanwhile (e.g. by HQ): tomorrow's run looks again
    LevelChange.objects.create(member_id=member_id, from_level=old, to_level=new, growth=growth)
    up = new is not None and (old is None or new.rank > old.rank)
    if new is None:
        text = _("Your member level has ended: %(growth)s yuan of growth in the last 12 months.")
    elif up:
        text = _("Congratulations, you are now a %(level)s member (growth value %(growth)s).")
    else:
        text = _("Your member level is now %(level)s (growth value %(growth)s in the last 12 months).")
    queue_message(channel="sms", recipient=phone, body=text % {"level": new.name if new else "", "growth": growth})
    return 1


@dataclass(frozen=True)
class LevelRule:
    code: str
    name: str
    rank: int
    min_growth: int
    discount_percent: Decimal
    points_multiplier: Decimal
    free_delivery: bool


def _check_rule(rule: LevelRule) -> None:
    problems = []
    if not rule.name.strip() or len(rule.name) > 40:
        problems.append("name: 1 to 40 characters")
    if not 0 <= rule.rank <= 1000:
        problems.append("rank: 0 to 1000")
    if not 0 <= rule.min_growth <= 100_000_000:
        problems.append("min_growth: 0 to 100000000")
    d = rule.discount_percent
    if not d.is_finite() or not Decimal(0) <= d < Decimal(100) or d != d.quantize(CENT):
        problems.append("discount_percent: 0 to 99.99")
    m = rule.points_multiplier
    if not m.is_finite() or not Decimal(1) <= m <= Decimal(10) or m != m.quantize(CENT):
        problems.append("points_multiplier: 1 to 10")
    if problems:
        raise DomainError(ErrorCode.INVALID, "invalid level rule", problems=problems)


@transaction.atomic(durable=True)
def save_level(*, actor: Actor, rule: LevelRule) -> MemberLevel:
    """Create or change a level (by code). Members move at the next nightly run."""
    authorize(actor, Operation.MANAGE_LOYALTY_RULES)
    _check_rule(rule)
    clash = MemberLevel.objects.exclude(code=rule.code).filter(Q(rank=rule.rank) | Q(min_growth=rule.min_growth))
    if clash.exists():
        raise DomainError(ErrorCode.CONFLICT, "another level has this rank or growth threshold")
    level, _ = MemberLevel.objects.update_or_create(
        code=rule.code,
        defaults={
            "name": rule.name.strip(),
            "rank": rule.rank,
            "min_growth": rule.min_growth,
            "discount_percent": rule.discount_percent,
            "points_multiplier": rule.points_multiplier,
            "free_delivery": rule.free_delivery,
        },
    )
    return level


@transaction.atomic(durable=True)
def delete_level(*, actor: Actor, code: str) -> None:
    """Remove a level nobody holds (members keep theirs until the nightly run moves them)."""
    authorize(actor, Operation.MANAGE_LOYALTY_RULES)
    level = MemberLevel.objects.filter(code=code).first()
    if level is None:
        raise not_found("level")
    if (
        Member.objects.filter(level=level).exists()
        or LevelChange.objects.filter(Q(from_level=level) | Q(to_level=level)).exists()
    ):
        raise DomainError(ErrorCode.CONFLICT, "members hold or held this level; change its threshold instead")
    level.delete()
