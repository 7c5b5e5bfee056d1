"""Every write of commission: the ledger (accrue on LINES_CREDITED, reverse on CREDITS_REVERSED,
settle on ORDER_COMPLETED) and HQ's plans. docs/commission.md says the rules.

Ledger writes run inside the publisher's transaction, which already holds the order's lock (lock
order: the order first). Each then locks the balance rows of the employees it touches, in
employee id order (`_lock_balances`), which serializes one employee's accruals: the month's
volume and cap are read and moved under that lock, each counter by a conditional UPDATE."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Round
from django.db.models.lookups import GreaterThanOrEqual
from django.utils import timezone

from o2o.access.actors import Actor
from o2o.access.permissions import Operation, authorize
from o2o.attribution.models import CreditKind, LineCredit
from o2o.catalog.models import SKU, Category
from o2o.commission.models import (
    CommissionBalance,
    CommissionEntry,
    CommissionMonth,
    CommissionPlan,
    EntryKind,
    PlanRate,
    PlanTier,
)
from o2o.commission.rules import PlanRules, plan_for
from o2o.core.errors import DomainError, ErrorCode, not_found
from o2o.core.idempotency import fingerprint, run_once
from o2o.core.money import to_money

HUNDRED = Decimal(100)


def period_of(moment) -> date:
    """The first day of the (local) month of a moment: a commission period."""
    return timezone.localdate(moment).replace(day=1)


def _lock_balances(employee_ids: Iterable[int]) -> None:
    """Create the employees' balance rows if missing, then lock them in id order."""
    ids = sorted(set(employee_ids))
    CommissionBalance.objects.bulk_create([CommissionBalance(employee_id=pk) for pk in ids], ignore_conflicts=True)
    list(CommissionBalance.objects.select_for_update().filter(employee_id__in=ids).order_by("employee_id"))


def _move_balance(employee_id: int, *, frozen: Decimal = Decimal(0), settled: Decimal = Decimal(0)) -> None:
    # ROUND: SQLite keeps decimals as floats (3.68 may be stored as 3.6799999999999997)
    moved = CommissionBalance.objects.filter(
        GreaterThanOrEqual(Round(F("frozen"), 2), -frozen), employee_id=employee_id
    ).update(frozen=Round(F("frozen") + frozen, 2), settled=Round(F("settled") + settled, 2))
    if moved != 1:  # the frozen balance never goes below zero: a ledger that disagrees is a bug
        raise DomainError(ErrorCode.CONFLICT, "commission balance would go negative", employee_id=employee_id)


# --- accrual


def accrue(*, order: Any, credits: list[LineCredit]) -> list[CommissionEntry]:
    """Accrue (frozen) commission for the order's credits that name an employee, once per credit."""
    earning = [c for c in credits if c.employee_id is not None and c.kind == CreditKind.CREDIT and c.amount > 0]
    if not earning:
        return []
    _lock_balances(c.employee_id for c in earning)
    done = set(
        CommissionEntry.objects.filter(credit__in=earning, kind=EntryKind.ACCRUAL).values_list("credit_id", flat=True)
    )
    skus = SKU.objects.select_related("product").in_bulk({c.line.sku_id for c in earning})

    @cache
    def rules_on(day: date) -> PlanRules | None:  # an order's credits share a day: one plan lookup and load
        plan = plan_for(day)
        return None if plan is None else PlanRules.load(plan)

    entries = []
    for credit in sorted(earning, key=lambda c: (c.employee_id, c.pk)):
        rules = None if credit.pk in done else rules_on(timezone.localdate(credit.occurred_at))
        if rules is not None:
            entries.append(_accrue_one(order=order, credit=credit, rules=rules, sku=skus[credit.line.sku_id]))
    return entries


def _accrue_one(*, order: Any, credit: LineCredit, rules: PlanRules, sku: SKU) -> CommissionEntry:
    period = period_of(credit.occurred_at)
    month, _ = CommissionMonth.objects.get_or_create(employee_id=credit.employee_id, period=period)
    base_percent = rules.rate_for(sku)
    tier_from, bonus = rules.tier_for(month.volume)
    rate = base_percent + bonus
    amount = to_money(credit.amount * rate / HUNDRED)
    clipped = False
    cap = rules.plan.monthly_cap
    if cap is not None and month.accrued + amount > cap:
        amount, clipped = max(cap - month.accrued, Decimal(0)), True
    # The employee's balance lock serializes accruals, so the month read above is current (the race
    # test proves the cap holds) and its new totals are written as such: SQLite would add floats.
    CommissionMonth.objects.filter(pk=month.pk).update(
        volume=month.volume + credit.amount, accrued=month.accrued + amount
    )
    entry = CommissionEntry.objects.create(
        employee_id=credit.employee_id,
        kind=EntryKind.ACCRUAL,
        credit=credit,
        order_id=order.pk,
        line_id=credit.line_id,
        plan=rules.plan,
        base_percent=base_percent,
        tier_bonus_percent=bonus,
        rate=rate,
        tier_from=tier_from,
        base=credit.amount,
        amount=amount,
        clipped=clipped,
        period=period,
        frozen_until=(order.closed_at or credit.occurred_at) + timedelta(days=settings.O2O_RETURN_WINDOW_DAYS),
    )
    _move_balance(credit.employee_id, frozen=amount)
    return entry


# --- reversal


def reverse(*, credits: list[LineCredit]) -> list[CommissionEntry]:
    """Reverse the commission of returned units: each reversal credit takes back its share of the
    accrual of the credit it `reverses`, cumulatively rounded so
    that all returns of a line take back exactly what it accrued. From frozen while the order's
    return window is open (the usual case: a completed order takes no returns); from settled, as a
    clawback, if the accrual was already settled."""
    reversing = [c for c in credits if c.employee_id is not None and c.kind == CreditKind.REVERSAL and c.amount < 0]
    if not reversing:
        return []
    _lock_balances(c.employee_id for c in reversing)
    entries = []
    for credit in sorted(reversing, key=lambda c: (c.employee_id, c.pk)):
        accrual = _accrual_reversed_by(credit)
        if accrual is None or CommissionEntry.objects.filter(credit=credit, kind__in=_TAKE_BACK).exists():
            continue
        entries.append(_reverse_one(credit=credit, accrual=accrual))
    return entries


_TAKE_BACK = (EntryKind.REVERSAL, EntryKind.CLAWBACK)


def _accrual_reversed_by(credit: LineCredit) -> CommissionEntry | None:
    return CommissionEntry.objects.filter(credit_id=credit.reverses_id, kind=EntryKind.ACCRUAL).first()


def _reverse_one(*, credit: LineCredit, accrual: CommissionEntry) -> CommissionEntry:
    base = min(-credit.amount, accrual.base - accrual.reversed_base)
    reversed_base = accrual.reversed_base + base
    if reversed_base == accrual.base:
        amount = accrual.amount - accrual.reversed_amount
    else:
        amount = to_money(accrual.amount * reversed_base / accrual.base) - accrual.reversed_amount
    # Under the employee's balance lock the accrual read above is current; the entry's CHECKs keep
    # the reversed part within the accrual.
    # Written as the new totals, not added in SQL: SQLite would add floats (1.44 + 3.68 is
    # 5.120000000000001 there) and trip the CHECK that the reversed part stays within the accrual.
    CommissionEntry.objects.filter(pk=accrual.pk).update(
        reversed_base=reversed_base, reversed_amount=accrual.reversed_amount + amount
    )
    settled = CommissionEntry.objects.filter(credit_id=accrual.credit_id, kind=EntryKind.SETTLEMENT).exists()
    entry = CommissionEntry.objects.create(
        employee_id=accrual.employee_id,
        kind=EntryKind.CLAWBACK if settled else EntryKind.REVERSAL,
        credit=credit,
        order_id=accrual.order_id,
        line_id=accrual.line_id,
        plan_id=accrual.plan_id,
        base_percent=accrual.base_percent,
        tier_bonus_percent=accrual.tier_bonus_percent,
        rate=accrual.rate,
        tier_from=accrual.tier_from,
        base=-base,
        amount=-amount,
        reverses=accrual,
        period=accrual.period,
    )
    if settled:
        _move_balance(accrual.employee_id, settled=-amount)
    else:
        _move_balance(accrual.employee_id, frozen=-amount)
    return entry


# --- settlement


def settle_order(*, order_id: int) -> list[CommissionEntry]:
    """The order's return window closed: what is left of each accrual (accrued minus reversed)
    moves from frozen to settled, once per accrual."""
    accruals = list(
        CommissionEntry.objects.filter(order_id=order_id, kind=EntryKind.ACCRUAL)
        .exclude(
            credit_id__in=CommissionEntry.objects.filter(order_id=order_id, kind=EntryKind.SETTLEMENT).values(
                "credit_id"
            )
        )
        .order_by("employee_id", "pk")
    )
    if not accruals:
        return []
    _lock_balances(a.employee_id for a in accruals)
    entries = []
    for accrual in accruals:
        accrual.refresh_from_db(fields=["reversed_base", "reversed_amount"])
        kept = accrual.amount - accrual.reversed_amount
        entries.append(
            CommissionEntry.objects.create(
                employee_id=accrual.employee_id,
                kind=EntryKind.SETTLEMENT,
                credit_id=accrual.credit_id,
                order_id=order_id,
                line_id=accrual.line_id,
                plan_id=accrual.plan_id,
                base_percent=accrual.base_percent,
                tier_bonus_percent=accrual.tier_bonus_percent,
                rate=accrual.rate,
                tier_from=accrual.tier_from,
                base=accrual.base - accrual.reversed_base,
                amount=kept,
                period=accrual.period,
            )
        )
        _move_balance(accrual.employee_id, frozen=-kept, settled=kept)
    return entries


# --- plans (HQ)


@dataclass(frozen=True)
class RateIn:
    percent: Decimal
    sku_id: int | None = None
    category_id: int | None = None


@dataclass(frozen=True)
class TierIn:
    monthly_volume_from: Decimal
    bonus_percent: Decimal


def create_plan(
    *,
    actor: Actor,
    name: str,
    effective_from: date,
    effective_to: date | None,
    monthly_cap: Decimal | None,
    rates: list[RateIn],
    tiers: list[TierIn],
    idempotency_key: str | None = None,
) -> CommissionPlan:
    """A new plan with its rates (exactly one default) and tiers. A retry with the same
    Idempotency-Key returns the first plan."""
    authorize(actor, Operation.MANAGE_COMMISSION_PLANS)
    _check_plan(effective_from=effective_from, effective_to=effective_to, rates=rates, tiers=tiers)

    def perform() -> dict:
        plan = CommissionPlan.objects.create(
            name=name,
            effective_from=effective_from,
            effective_to=effective_to,
            monthly_cap=monthly_cap,
            created_by_id=actor.user_id,
        )
        PlanRate.objects.bulk_create(
            [PlanRate(plan=plan, sku_id=r.sku_id, category_id=r.category_id, percent=r.percent) for r in rates]
        )
        PlanTier.objects.bulk_create(
            [
                PlanTier(plan=plan, monthly_volume_from=t.monthly_volume_from, bonus_percent=t.bonus_percent)
                for t in tiers
            ]
        )
        return {"plan_id": plan.pk}

    request = fingerprint(
        name=name,
        effective_from=effective_from,
        effective_to=effective_to,
        monthly_cap=monthly_cap,
        rates=[[r.sku_id, r.category_id, str(r.percent)] for r in rates],
        tiers=[[str(t.monthly_volume_from), str(t.bonus_percent)] for t in tiers],
    )
    result = run_once(
        scope=actor.idempotency_scope,
        operation="commission.create_plan",
        key=idempotency_key,
        fingerprint=request,
        perform=perform,
    )
    return CommissionPlan.objects.get(pk=result["plan_id"])


def _check_plan(*, effective_from: date, effective_to: date | None, rates: list[RateIn], tiers: list[TierIn]) -> None:
    if effective_to is not None and effective_to <= effective_from:
        raise DomainError(ErrorCode.INVALID, "a plan ends after it starts", field="effective_to")
    if any(r.sku_id is not None and r.category_id is not None for r in rates):
        raise DomainError(ErrorCode.INVALID, "a rate is for a SKU or a category, not both", field="rates")
    if sum(1 for r in rates if r.sku_id is None and r.category_id is None) != 1:
        raise DomainError(ErrorCode.INVALID, "a plan has exactly one default rate", field="rates")
    sku_ids = [r.sku_id for r in rates if r.sku_id is not None]
    category_ids = [r.category_id for r in rates if r.category_id is not None]
    if len(set(sku_ids)) != len(sku_ids) or len(set(category_ids)) != len(category_ids):
        raise DomainError(ErrorCode.INVALID, "one rate per SKU and per category", field="rates")
    if SKU.objects.filter(pk__in=sku_ids).count() != len(sku_ids):
        raise DomainError(ErrorCode.INVALID, "unknown SKU in the rates", field="rates")
    if Category.objects.filter(pk__in=category_ids).count() != len(category_ids):
        raise DomainError(ErrorCode.INVALID, "unknown category in the rates", field="rates")
    thresholds = [t.monthly_volume_from for t in tiers]
    if len(set(thresholds)) != len(thresholds):
        raise DomainError(ErrorCode.INVALID, "one tier per volume threshold", field="tiers")


@transaction.atomic(durable=True)
def end_plan(*, actor: Actor, plan_id: int, effective_to: date) -> CommissionPlan:
    """End a plan on a date (exclusive). Entries already accrued under it keep it; a plan is never
    ended before it started, nor before today (that would change which plan past days had)."""
    authorize(actor, Operation.MANAGE_COMMISSION_PLANS)
    plan = CommissionPlan.objects.select_for_update().filter(pk=plan_id).first()
    if plan is None:
        raise not_found("plan")
    if effective_to <= plan.effective_from or effective_to < timezone.localdate():
        raise DomainError(ErrorCode.INVALID, "a plan ends after it starts and not in the past", field="effective_to")
    if plan.effective_to is not None and plan.effective_to <= timezone.localdate():
        raise DomainError(ErrorCode.CONFLICT, "this plan has already ended")
    CommissionPlan.objects.filter(pk=plan.pk).update(effective_to=effective_to)
    plan.refresh_from_db()
    return plan
