"""Demo loyalty: the four member levels, and points and growth from the generated order history.

The history is written in bulk without publishing order events, so this step books what the
event handlers would have: pending line earnings for orders still open, confirmed earnings with
their EARN entry and lot for completed ones, a growth entry per completed order, and each
member's level from their growth (with a level-change row, no message). `o2o audit` agrees."""

from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Q

from o2o.demo.generator.base import Run, explicit_timestamps
from o2o.loyalty.models import GrowthEntry, LevelChange, PointsAccount, PointsEarning, PointsEntry, PointsLot
from o2o.loyalty.services import expiry_for, split_points
from o2o.members.models import Member, MemberLevel
from o2o.orders.models import PAID_STATES, OrderLine, OrderState

LEVELS = [
    # code, name, rank, growth needed (yuan in 12 months), discount %, points multiplier, free delivery
    ("regular", "普通", 0, 0, Decimal("0"), Decimal("1.00"), False),
    ("silver", "银卡", 1, 1000, Decimal("2"), Decimal("1.20"), False),
    ("gold", "金卡", 2, 3000, Decimal("5"), Decimal("1.50"), True),
    ("diamond", "钻石", 3, 10000, Decimal("8"), Decimal("2.00"), True),
]
OPEN = (OrderState.PAID, OrderState.READY_FOR_PICKUP, OrderState.PICKED_UP, OrderState.OUT_FOR_DELIVERY,
        OrderState.DELIVERED)  # fmt: skip
# The most recent orders that get points (a very large history would double its rows otherwise).
MAX_ORDERS = 200_000


def create_levels() -> list[MemberLevel]:
    return MemberLevel.objects.bulk_create(
        MemberLevel(code=c, name=n, rank=r, min_growth=g, discount_percent=d, points_multiplier=m, free_delivery=f)
        for c, n, r, g, d, m, f in LEVELS
    )


def _lines_by_order(run: Run) -> dict[int, list[tuple[int, int, int, Decimal, str, datetime | None]]]:
    rows = (
        OrderLine.objects.filter(order__member__isnull=False, order__state__in=PAID_STATES)
        .filter(Q(order__state=OrderState.COMPLETED) | Q(order__state__in=OPEN))
        .order_by("-order_id", "pk")
        .values_list("order_id", "pk", "order__member_id", "quantity", "net_amount", "order__state", "order__closed_at")
    )
    by_order: dict[int, list] = defaultdict(list)
    for order_id, line_id, member_id, quantity, net, state, closed_at in rows.iterator(chunk_size=run.batch_size):
        if order_id not in by_order and len(by_order) >= MAX_ORDERS:
            break
        by_order[order_id].append((line_id, member_id, quantity, net, state, closed_at))
    return by_order


def create_points_history(run: Run) -> dict[str, int]:
    """Earnings, points and growth from the history; members get the level their growth reaches."""
    rate = Decimal(settings.O2O_POINTS_PER_YUAN)
    earnings, growth, earned = [], [], []
    for order_id, lines in _lines_by_order(run).items():
        shares = split_points([Decimal(net) * rate for _, _, _, net, _, _ in lines])
        member_id, state, closed_at = lines[0][1], lines[0][4], lines[0][5]
        completed = state == OrderState.COMPLETED
        for (line_id, _, quantity, _, _, _), points in zip(lines, shares, strict=True):
            if points:
                earnings.append(PointsEarning(
                    member_id=member_id, order_id=order_id, line_id=line_id, quantity=quantity, points=points,
                    state=PointsEarning.State.CONFIRMED if completed else PointsEarning.State.PENDING,
                    settled_at=closed_at if completed else None, created_at=closed_at or run.end,
                ))  # fmt: skip
        if completed:
            kept = sum((net for _, _, _, net, _, _ in lines), Decimal(0))
            growth.append(GrowthEntry(member_id=member_id, order_id=order_id, amount=kept, at=closed_at))
            if sum(shares):
                earned.append((member_id, order_id, sum(shares), closed_at))
    PointsEarning.objects.bulk_create(earnings, batch_size=run.batch_size)
    GrowthEntry.objects.bulk_create(growth, batch_size=run.batch_size)
    _book_earned(run, earned)
    changes = _assign_levels(run)
    return {"points_earning": len(earnings), "points_entry": len(earned), "growth_entry": len(growth), "level": changes}


def _book_earned(run: Run, earned: list[tuple[int, int, int, datetime]]) -> None:
    totals: dict[int, int] = defaultdict(int)
    for member_id, _, points, _ in earned:
        totals[member_id] += points
    accounts = PointsAccount.objects.bulk_create(
        [PointsAccount(member_id=m, available=p) for m, p in sorted(totals.items())], batch_size=run.batch_size
    )
    account_of = {a.member_id: a.pk for a in accounts}
    entries = PointsEntry.objects.bulk_create(
        [
            PointsEntry(
                account_id=account_of[m],
                kind="earn",
                points=p,
                reference=f"order:{o}",
                order_id=o,
                expires_at=expiry_for(at),
                created_at=at,
            )
            for m, o, p, at in earned
        ],  # fmt: skip
        batch_size=run.batch_size,
    )
    PointsLot.objects.bulk_create(
        [
            PointsLot(account_id=e.account_id, entry=e, points=e.points, remaining=e.points, expires_at=e.expires_at)
            for e in entries
        ],
        batch_size=run.batch_size,
    )


def _assign_levels(run: Run) -> int:
    """Each member with growth in the 12 months before the history ends gets the level it reaches."""
    levels = sorted(MemberLevel.objects.all(), key=lambda level: level.min_growth, reverse=True)
    window_start = run.end - timedelta(days=365)
    growth: dict[int, Decimal] = defaultdict(Decimal)
    for member_id, amount in GrowthEntry.objects.filter(at__gt=window_start).values_list("member_id", "amount"):
        growth[member_id] += amount
    by_level: dict[int, list[int]] = defaultdict(list)
    changes = []
    for member_id, amount in growth.items():
        level = next((lv for lv in levels if lv.min_growth <= int(amount)), None)
        if level is not None:
            by_level[level.pk].append(member_id)
            changes.append(LevelChange(member_id=member_id, to_level=level, growth=int(amount), at=run.end))
    for level_id, member_ids in by_level.items():
        Member.objects.filter(pk__in=member_ids).update(level_id=level_id)
    LevelChange.objects.bulk_create(changes, batch_size=run.batch_size)
    return len(changes)


def create_loyalty(run: Run) -> None:
    create_levels()
    with explicit_timestamps(PointsEarning, PointsEntry, LevelChange):
        written = create_points_history(run)
    run.say("loyalty: " + ", ".join(f"{n} {name}" for name, n in written.items()))
