"""Points: earned on paid orders, available when the order completes, spent as a tender, expiring.

Public services the payments app calls (they run in the CALLER's transaction, which holds the
order's lock): `spend_points`, `refund_points`, `points_value`, `points_for_value`.

Lock order inside loyalty: the member's PointsAccount row first (a conditional UPDATE or
SELECT ... FOR UPDATE), then its lots. Everything that changes lots (spend, refund, expiry,
adjustment, earning) takes the account row first, so lots never race.

Rules (docs/loyalty.md):
- earned: floor(sum over the order's lines of net x O2O_POINTS_PER_YUAN x level multiplier x
  category multiplier), split over the lines by largest remainder; the part paid with points is
  not taken off (points are earned on the lines' net);
- a return of k units of a line reverses floor(p x (r + k) / n) - floor(p x r / n) of its p
  points (r units returned before, n sold), so all returns of a line reverse exactly p;
- available points expire at the end of Dec 31 of the year they became available +
  O2O_POINTS_EXPIRE_YEARS; a spend takes the soonest-expiring lots first;
- a refund gives points back into the lots the spend took them from; what came from a lot that
  has expired since comes back as a new lot that lives REFUND_GRACE more.
"""

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_DOWN, ROUND_FLOOR, Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Now
from django.utils import timezone

from o2o.access.actors import Actor
from o2o.access.permissions import Operation, authorize
from o2o.catalog.models import Category
from o2o.catalog.selectors import sku_categories
from o2o.core.errors import DomainError, ErrorCode, not_found
from o2o.core.inserts import insert_all_unless_conflicting
from o2o.core.models import ReferenceVersion
from o2o.core.money import CENT
from o2o.core.versioned import VersionedSnapshot
from o2o.loyalty.models import (
    CategoryPointsRule,
    EntryKind,
    PointsAccount,
    PointsEarning,
    PointsEntry,
    PointsLot,
    PointsLotUse,
)
from o2o.members.models import Member

# Points given back from a lot that expired meanwhile live this long (a customer refunded in
# January for a December purchase does not lose them at once).
REFUND_GRACE = timedelta(days=30)
MAX_POINTS = 100_000_000
MAX_REFERENCE = 80


# --- money <-> points ---------------------------------------------------------------------------


def points_value(points: int) -> Decimal:
    """What `points` pay, in yuan: O2O_POINTS_PER_YUAN_TENDER points = 1.00 (rounded down to the fen)."""
    _check_points(points, allow_zero=True)
    rate = settings.O2O_POINTS_PER_YUAN_TENDER
    return (Decimal(points) / rate).quantize(CENT, rounding=ROUND_DOWN)


def points_for_value(amount: Decimal) -> int:
    """Points that pay `amount` (a fen amount): the exact inverse of points_value at the default rate
    of 100; at a rate that does not divide into fen, rounded up (points never pay more than they
    are worth)."""
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount < 0 or amount != amount.quantize(CENT):
        raise DomainError(ErrorCode.INVALID, "amount must be a non-negative amount in fen", amount=str(amount))
    return math.ceil(amount * settings.O2O_POINTS_PER_YUAN_TENDER)


# --- checks and small helpers -------------------------------------------------------------------


def _check_points(points: Any, *, allow_zero: bool = False) -> None:
    if isinstance(points, bool) or not isinstance(points, int) or not (0 if allow_zero else 1) <= points <= MAX_POINTS:
        raise DomainError(ErrorCode.INVALID, f"points must be a whole number from 1 to {MAX_POINTS}", points=points)


def _check_reference(reference: Any) -> None:
    if not isinstance(reference, str) or not 1 <= len(reference) <= MAX_REFERENCE:
        raise DomainError(ErrorCode.INVALID, f"a reference of 1 to {MAX_REFERENCE} characters is needed")


def _insufficient(available: int, points: int) -> DomainError:
    return DomainError(ErrorCode.INSUFFICIENT_POINTS, "not enough points", available=available, requested=points)


def expiry_for(moment: datetime) -> datetime:
    """Points available from `moment` expire when Dec 31 of its year + O2O_POINTS_EXPIRE_YEARS ends."""
    year = timezone.localtime(moment).year + settings.O2O_POINTS_EXPIRE_YEARS
    return _start_of(date(year + 1, 1, 1))


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _lock_account(*, member_id: int | None = None, account_id: int | None = None) -> PointsAccount | None:
    query = {"member_id": member_id} if account_id is None else {"pk": account_id}
    return PointsAccount.objects.select_for_update().filter(**query).first()


def _ensure_account(member_id: int) -> PointsAccount:
    account, _ = PointsAccount.objects.get_or_create(member_id=member_id)
    return account


def _change_available(account_id: int, delta: int) -> bool:
    """The one place the balance changes: a conditional UPDATE that never takes it below 0."""
    rows = PointsAccount.objects.filter(pk=account_id)
    if delta < 0:
        rows = rows.filter(available__gte=-delta)
    return bool(rows.update(available=F("available") + delta, updated_at=Now()))


def _entry(kind: EntryKind, reference: str) -> PointsEntry | None:
    return PointsEntry.objects.filter(kind=kind, reference=reference).first()


def _new_lot(account_id: int, entry: PointsEntry, points: int, expires_at: datetime) -> PointsLot:
    return PointsLot.objects.create(
        account_id=account_id, entry=entry, points=points, remaining=points, expires_at=expires_at
    )


def _take_from_lots(account_id: int, entry: PointsEntry, points: int) -> None:
    """Consume `points` from the account's live lots, soonest expiry first (account row held)."""
    left = points
    uses = []
    lots = PointsLot.objects.filter(account_id=account_id, remaining__gt=0).order_by("expires_at", "pk")
    for lot in lots:
        take = min(lot.remaining, left)
        # The account lock serialises lot changes; the condition and the CHECK are the last guard.
        if not PointsLot.objects.filter(pk=lot.pk, remaining__gte=take).update(remaining=F("remaining") - take):
            raise DomainError(ErrorCode.CONFLICT, "points lots changed meanwhile; try again")
        uses.append(PointsLotUse(entry=entry, lot=lot, points=take))
        left -= take
        if left == 0:
            break
    if left:
        raise DomainError(ErrorCode.CONFLICT, "points lots do not cover the balance; run o2o audit")
    PointsLotUse.objects.bulk_create(uses)


def _expire_due_lots(account: PointsAccount, now: datetime) -> int:
    """Expire the account's lots whose time has come (account row held). Returns points expired."""
    expired = 0
    for lot in PointsLot.objects.filter(account=account, remaining__gt=0, expires_at__lte=now).order_by("pk"):
        PointsLot.objects.filter(pk=lot.pk).update(remaining=0, expired_at=now)
        if not _change_available(account.pk, -lot.remaining):
            raise DomainError(ErrorCode.CONFLICT, "points lots exceed the balance; run o2o audit")
        PointsEntry.objects.create(
            account=account, kind=EntryKind.EXPIRE, points=-lot.remaining, reference=f"lot:{lot.pk}"
        )
        expired += lot.remaining
    return expired


# --- spending as a tender -----------------------------------------------------------------------


def spend_points(*, member_id: int, points: int, reference: str) -> PointsEntry:
    """Take `points` from the member's available points (soonest-expiring lots first).

    Runs in the caller's transaction. The same reference again returns the first entry (for the
    same member and points; anything else is 409 idempotency_conflict). Not enough points: 409
    insufficient_points, and nothing is written."""
    _check_points(points)
    _check_reference(reference)
    account = _lock_account(member_id=member_id)
    if account is None:  # no points ever became available to this member
        raise _insufficient(0, points)
    if (first := _entry(EntryKind.SPEND, reference)) is not None:
        if first.account_id != account.pk or first.points != -points:
            raise DomainError(ErrorCode.IDEMPOTENCY_CONFLICT, "this reference was used for another spend")
        return first
    _expire_due_lots(account, timezone.now())
    if not _change_available(account.pk, -points):
        account.refresh_from_db(fields=["available"])
        raise _insufficient(account.available, points)
    entry = PointsEntry.objects.create(account=account, kind=EntryKind.SPEND, points=-points, reference=reference)
    _take_from_lots(account.pk, entry, points)
    return entry


def refund_points(*, spend_reference: str, points: int, refund_reference: str) -> PointsEntry:
    """Give back up to what the spend `spend_reference` took (less earlier refunds), into its lots.

    Runs in the caller's transaction; the same refund_reference again returns the first entry.
    Points from a lot that has expired since come back as a new lot living REFUND_GRACE."""
    _check_points(points)
    _check_reference(spend_reference)
    _check_reference(refund_reference)
    spend = _entry(EntryKind.SPEND, spend_reference)
    if spend is None:
        raise not_found("points spend")
    account = _lock_account(account_id=spend.account_id)
    if (first := _entry(EntryKind.REFUND, refund_reference)) is not None:
        if first.refund_of_id != spend.pk or first.points != points:
            raise DomainError(ErrorCode.IDEMPOTENCY_CONFLICT, "this refund reference was used for another refund")
        return first
    uses = list(spend.lot_uses.select_related("lot").order_by("-lot__expires_at", "-pk"))
    refundable = sum(u.points - u.refunded for u in uses)
    if points > refundable:
        raise DomainError(
            ErrorCode.POINTS_REFUND_EXCEEDS_SPEND, "more points than that spend has left", refundable=refundable
        )
    now = timezone.now()
    entry = PointsEntry.objects.create(
        account=account, kind=EntryKind.REFUND, points=points, reference=refund_reference, refund_of=spend
    )
    left, into_new_lot = points, 0
    for use in uses:
        give = min(use.points - use.refunded, left)
        if give <= 0:
            continue
        PointsLotUse.objects.filter(pk=use.pk).update(refunded=F("refunded") + give)
        if use.lot.expired_at is None and use.lot.expires_at > now:
            PointsLot.objects.filter(pk=use.lot_id).update(remaining=F("remaining") + give)
        else:
            into_new_lot += give
        left -= give
        if left == 0:
            break
    if into_new_lot:
        _new_lot(account.pk, entry, into_new_lot, _start_of(timezone.localdate(now) + REFUND_GRACE + timedelta(days=1)))
    _change_available(account.pk, points)
    return entry


# --- earning: pending on paid, available on completion, reversed on returns and cancellations ----


def _read_category_rules() -> dict[int, Decimal]:
    return dict(CategoryPointsRule.objects.values_list("category_id", "multiplier"))


# Read on every paid order of a member, changed by HQ now and then: kept per process.
_category_rules = VersionedSnapshot(
    model=ReferenceVersion,
    pk="loyalty_category_rules",
    read=_read_category_rules,
    recheck_seconds=lambda: settings.O2O_REFERENCE_RECHECK_SECONDS,
)


def _category_multiplier(line: Any, rules: dict[int, Decimal]) -> Decimal:
    # A sub-category without a rule of its own takes its parent's.
    for category_id in (line.sku_category_id, line.sku_parent_category_id):
        if category_id in rules:
            return rules[category_id]
    return Decimal(1)


def _level_multiplier(order: Any) -> Decimal:
    """The member's level multiplier: from the member and level read with the locked order (the
    gateway's callback reads them), else one query."""
    member_field = order._meta.get_field("member")
    if member_field.is_cached(order):
        member = order.member
        if member.level_id is None:
            return Decimal(1)
        if Member._meta.get_field("level").is_cached(member):
            return member.level.points_multiplier
    multiplier = Member.objects.filter(pk=order.member_id).values_list("level__points_multiplier", flat=True).first()
    return Decimal(1) if multiplier is None else multiplier


def _lines_with_categories(order: Any) -> list[Any]:
    """The order's lines, oldest first, each with its SKU's category and that category's parent:
    as the payment read them for every reaction, else one query."""
    read = getattr(order, "_prefetched_objects_cache", {}).get("lines")
    if read is None or not all(hasattr(line, "sku_category_id") for line in read):
        read = order.lines.annotate(**sku_categories("sku"))
    return sorted(read, key=lambda line: line.pk)


def split_points(exact: list[Decimal]) -> list[int]:
    """floor(sum(exact)) split over the lines: each its floor, the rest by largest remainder."""
    total = int(sum(exact, Decimal(0)).to_integral_value(rounding=ROUND_FLOOR))
    shares = [int(x.to_integral_value(rounding=ROUND_FLOOR)) for x in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in by_remainder[: total - sum(shares)]:
        shares[i] += 1
    return shares


def record_pending_points(*, order: Any) -> int:
    """On ORDER_PAID: what each line earns, pending. One INSERT when the payment read the lines,
    the member's level and the category rules (kept per process); no member: nothing. Returns
    the points."""
    if order.member_id is None:
        return 0
    lines = _lines_with_categories(order)
    rules = _category_rules.get()
    per_yuan = Decimal(settings.O2O_POINTS_PER_YUAN) * _level_multiplier(order)
    shares = split_points([line.net_amount * per_yuan * _category_multiplier(line, rules) for line in lines])
    earnings = [
        PointsEarning(
            member_id=order.member_id, order_id=order.pk, line_id=line.pk, quantity=line.quantity, points=share
        )
        for line, share in zip(lines, shares, strict=True)
        if share > 0
    ]
    # A second ORDER_PAID for the same order (it cannot happen today) changes nothing. An order's
    # earnings are written together, so finding only some of them is an error that rolls back.
    insert_all_unless_conflicting(earnings)
    return sum(shares)


def reverse_returned_points(*, order_id: int, lines: list[dict]) -> int:
    """On ORDER_RETURNED: reverse the pending points of the returned units (cumulative rounding)."""
    quantities = {int(line["line_id"]): int(line["quantity"]) for line in lines}
    reversed_now = 0
    earnings = PointsEarning.objects.select_for_update().filter(
        order_id=order_id, line_id__in=quantities, state=PointsEarning.State.PENDING
    )
    for earning in earnings.order_by("pk"):
        returned = min(earning.quantity, earning.returned_quantity + quantities[earning.line_id])
        reverse_to = earning.points * returned // earning.quantity
        PointsEarning.objects.filter(pk=earning.pk).update(returned_quantity=returned, reversed_points=reverse_to)
        reversed_now += reverse_to - earning.reversed_points
    return reversed_now


def reverse_all_pending_points(*, order_id: int) -> int:
    """On cancellation, full refund or an uncollected pickup: every pending point of the order goes."""
    return PointsEarning.objects.filter(order_id=order_id, state=PointsEarning.State.PENDING).update(
        state=PointsEarning.State.REVERSED, reversed_points=F("points"), settled_at=Now()
    )


def confirm_order_points(*, order_id: int, member_id: int, now: datetime | None = None) -> PointsEntry | None:
    """On ORDER_COMPLETED: the order's pending points (less reversals) become available, as one lot
    expiring per expiry_for(now). Idempotent: a second call finds nothing pending."""
    now = now or timezone.now()
    pending = PointsEarning.objects.select_for_update().filter(order_id=order_id, state=PointsEarning.State.PENDING)
    points = sum(e.open_points for e in pending)
    pending.update(state=PointsEarning.State.CONFIRMED, settled_at=now)
    if points <= 0:
        return None
    account = _ensure_account(member_id)
    _change_available(account.pk, points)  # takes the account row's lock before the lot is written
    expires_at = expiry_for(now)
    entry = PointsEntry.objects.create(
        account=account,
        kind=EntryKind.EARN,
        points=points,
        reference=f"order:{order_id}",
        order_id=order_id,
        expires_at=expires_at,
    )
    _new_lot(account.pk, entry, points, expires_at)
    return entry


# --- expiry (periodic job) and manual adjustment ------------------------------------------------


def expire_points(now: datetime | None = None) -> int:
    """Expire every lot whose time has come, one account per transaction. Returns points expired."""
    now = now or timezone.now()
    account_ids = (
        PointsLot.objects.filter(remaining__gt=0, expires_at__lte=now).values_list("account_id", flat=True).distinct()
    )
    total = 0
    for account_id in list(account_ids):
        with transaction.atomic():
            account = _lock_account(account_id=account_id)
            total += _expire_due_lots(account, now)
    return total


def award_points(*, member_id: int, points: int, reference: str, note: str = "") -> PointsEntry:
    """Points given as a campaign's reward (referral, check-in): available at once, as one lot
    expiring like earned points. Runs in the caller's transaction; the same reference again returns
    the first entry (with other points: IDEMPOTENCY_CONFLICT)."""
    if isinstance(points, bool) or not isinstance(points, int) or not 0 < points <= MAX_POINTS:
        raise DomainError(ErrorCode.INVALID, f"points must be a whole number from 1 to {MAX_POINTS}")
    _check_reference(reference)
    if (first := _entry(EntryKind.AWARD, reference)) is not None:
        if first.points != points or first.account.member_id != member_id:
            raise DomainError(ErrorCode.IDEMPOTENCY_CONFLICT, "this reference was used for another award")
        return first
    account = _ensure_account(member_id)
    _change_available(account.pk, points)  # takes the account row's lock before the lot is written
    expires_at = expiry_for(timezone.now())
    entry = PointsEntry.objects.create(
        account=account, kind=EntryKind.AWARD, points=points, reference=reference, note=note[:200],
        expires_at=expires_at,
    )  # fmt: skip
    _new_lot(account.pk, entry, points, expires_at)
    return entry


@dataclass(frozen=True)
class Adjustment:
    member_id: int
    points: int  # positive: given; negative: taken
    reason: str
    reference: str


@transaction.atomic(durable=True)
def adjust_points(*, actor: Actor, adjustment: Adjustment) -> PointsEntry:
    """HQ or customer service gives or takes points, with a reason. The same reference again
    returns the first entry. Taking more than is available: 409 insufficient_points."""
    authorize(actor, Operation.ADJUST_POINTS)
    points, reason = adjustment.points, adjustment.reason.strip()
    if isinstance(points, bool) or not isinstance(points, int) or points == 0 or abs(points) > MAX_POINTS:
        raise DomainError(ErrorCode.INVALID, f"points must be a non-zero whole number within {MAX_POINTS}")
    _check_reference(adjustment.reference)
    if not reason or len(reason) > 200:
        raise DomainError(ErrorCode.INVALID, "a reason of 1 to 200 characters is needed")
    if not Member.objects.filter(pk=adjustment.member_id).exists():
        raise not_found("member")
    account = _ensure_account(adjustment.member_id)
    account = _lock_account(account_id=account.pk)
    if (first := _entry(EntryKind.ADJUST, adjustment.reference)) is not None:
        if first.account_id != account.pk or first.points != points:
            raise DomainError(ErrorCode.IDEMPOTENCY_CONFLICT, "this reference was used for another adjustment")
        return first
    now = timezone.now()
    if points < 0:
        _expire_due_lots(account, now)
        if not _change_available(account.pk, points):
            account.refresh_from_db(fields=["available"])
            raise _insufficient(account.available, -points)
    else:
        _change_available(account.pk, points)
    entry = PointsEntry.objects.create(
        account=account,
        kind=EntryKind.ADJUST,
        points=points,
        reference=adjustment.reference,
        note=reason,
        actor_id=actor.user_id,
        expires_at=expiry_for(now) if points > 0 else None,
    )
    if points > 0:
        _new_lot(account.pk, entry, points, entry.expires_at)
    else:
        _take_from_lots(account.pk, entry, -points)
    return entry


# --- HQ: category points rules ------------------------------------------------------------------


@transaction.atomic(durable=True)
def set_category_rule(*, actor: Actor, category_id: int, multiplier: Decimal | None) -> CategoryPointsRule | None:
    """Set a category's points multiplier (0 to 10, two places); None removes the rule (x1)."""
    authorize(actor, Operation.MANAGE_LOYALTY_RULES)
    if not Category.objects.filter(pk=category_id).exists():
        raise not_found("category")
    if multiplier is None:
        CategoryPointsRule.objects.filter(category_id=category_id).delete()
        _category_rules.bump()
        return None
    if (
        not multiplier.is_finite()
        or not Decimal(0) <= multiplier <= Decimal(10)
        or multiplier != multiplier.quantize(CENT)
    ):
        raise DomainError(ErrorCode.INVALID, "the multiplier must be from 0 to 10 with at most two decimals")
    rule, _ = CategoryPointsRule.objects.update_or_create(category_id=category_id, defaults={"multiplier": multiplier})
    _category_rules.bump()
    return rule
