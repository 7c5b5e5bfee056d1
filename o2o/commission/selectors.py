"""Reads of commission: an employee's statement for a month, their balance, the plans.

Who sees whose statement: every employee their own; a store manager the employees of their
store, a regional supervisor those of the region's stores, HQ everyone (Operation
VIEW_COMMISSION_STATEMENTS at the employee's home store). Someone the caller may not see answers
like a missing employee (404)."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from o2o.access.actors import Actor
from o2o.access.permissions import Operation, authorize, may
from o2o.commission.models import CommissionBalance, CommissionEntry, CommissionMonth, CommissionPlan, EntryKind
from o2o.commission.rules import plan_for
from o2o.core.errors import DomainError, ErrorCode, not_found
from o2o.core.money import to_money
from o2o.staff.models import Employee

ZERO = Decimal("0.00")


class LineState:
    FROZEN = "frozen"  # the return window is open
    SETTLED = "settled"  # the window closed: earned for good
    REVERSED = "reversed"  # every unit came back before the window closed


@dataclass
class StatementLine:
    entry_id: int
    order_id: int
    order_number: str
    paid_at: object
    sku_code: str
    sku_name: str
    touchpoint: str
    party: str
    split_percent: Decimal
    plan_id: int
    plan_name: str
    base_percent: Decimal
    tier_from: Decimal | None
    tier_bonus_percent: Decimal
    rate: Decimal
    base: Decimal
    accrued: Decimal
    clipped: bool
    reversed: Decimal  # <= 0: reversals and clawbacks of this line
    settled: Decimal
    frozen: Decimal  # what is still frozen of it
    state: str
    frozen_until: object


@dataclass
class Totals:
    accrued: Decimal = ZERO
    reversed: Decimal = ZERO  # <= 0, from frozen (returns within the window)
    clawed_back: Decimal = ZERO  # <= 0, from settled (a return after settlement)
    settled: Decimal = ZERO  # moved from frozen to settled
    frozen: Decimal = ZERO  # accrued + reversed - settled

    @property
    def net(self) -> Decimal:
        """What the month's lines earn so far: frozen + settled + clawed back."""
        return self.accrued + self.reversed + self.clawed_back


@dataclass
class Statement:
    employee: Employee
    period: date
    lines: list[StatementLine] = field(default_factory=list)
    totals: Totals = field(default_factory=Totals)


def parse_period(text: str | None) -> date:
    """'YYYY-MM' (this month when not given) as the first day of that month; anything else is a 422."""
    if not text:
        return timezone.localdate().replace(day=1)
    try:
        year, month = text.split("-")
        if len(year) != 4 or len(month) != 2:
            raise ValueError
        return date(int(year), int(month), 1)
    except ValueError:
        raise DomainError(ErrorCode.INVALID, "a period is YYYY-MM", field="period") from None


def employee_for(*, actor: Actor, employee_id: int) -> Employee:
    """The employee whose commission the actor asks about: themself, or one they supervise."""
    if actor.employee is not None and actor.employee.pk == employee_id:
        authorize(actor, Operation.VIEW_MY_COMMISSION)
        return actor.employee
    if not may(actor, Operation.VIEW_COMMISSION_STATEMENTS):
        raise DomainError(ErrorCode.FORBIDDEN, "your role may not see other employees' commission")
    employee = Employee.objects.select_related("home_location").filter(pk=employee_id).first()
    if employee is None:
        raise not_found("employee")
    home = employee.home_location_id
    seen = actor.is_chain_wide if home is None else may(actor, Operation.VIEW_COMMISSION_STATEMENTS, location_id=home)
    if not seen:
        raise not_found("employee")
    return employee


def totals_of(*, employee_id: int, period: date) -> Totals:
    """The month's totals, straight from the ledger: one aggregate over its entries.

    Each sum is brought to two places: SQLite hands a SUM back as a bare number ('5', not '5.00')."""
    sums = {
        kind: to_money(total)
        for kind, total in CommissionEntry.objects.filter(employee_id=employee_id, period=period)
        .order_by()
        .values_list("kind")
        .annotate(total=Sum("amount"))
    }
    totals = Totals(
        accrued=sums.get(EntryKind.ACCRUAL, ZERO),
        reversed=sums.get(EntryKind.REVERSAL, ZERO),
        clawed_back=sums.get(EntryKind.CLAWBACK, ZERO),
        settled=sums.get(EntryKind.SETTLEMENT, ZERO),
    )
    totals.frozen = totals.accrued + totals.reversed - totals.settled
    return totals


_LINE_FIELDS = (
    "pk", "kind", "credit_id", "reverses_id", "amount", "base", "reversed_base", "order_id", "order__number",
    "order__paid_at", "line__sku__code", "line__sku__name", "credit__touchpoint", "credit__party", "credit__percent",
    "plan_id", "plan__name", "base_percent", "tier_from", "tier_bonus_percent", "rate", "clipped", "frozen_until",
)  # fmt: skip


def statement(*, employee: Employee, period: date) -> Statement:
    """Every accrued line of the month with what became of it, and the month's totals.

    Two queries: the month's entries (the columns the statement shows, from the order, line, SKU,
    credit and plan, as plain rows: a statement of thousands of lines builds no model objects) and
    the totals aggregate. Entries carry their accrual's period, so reversals and settlements of
    this month's lines are found with them."""
    entries = list(
        CommissionEntry.objects.filter(employee_id=employee.pk, period=period).order_by("pk").values(*_LINE_FIELDS)
    )
    taken_back: dict[int, Decimal] = defaultdict(lambda: ZERO)
    settled: dict[int, Decimal] = {}
    accrual_by_credit = {e["credit_id"]: e["pk"] for e in entries if e["kind"] == EntryKind.ACCRUAL}
    for entry in entries:
        if entry["reverses_id"] is not None:
            taken_back[entry["reverses_id"]] += entry["amount"]
        elif entry["kind"] == EntryKind.SETTLEMENT:
            settled[accrual_by_credit[entry["credit_id"]]] = entry["amount"]
    lines = [_line(e, taken_back[e["pk"]], settled.get(e["pk"])) for e in entries if e["kind"] == EntryKind.ACCRUAL]
    return Statement(employee=employee, period=period, lines=lines,
                     totals=totals_of(employee_id=employee.pk, period=period))  # fmt: skip


def _line(entry: dict, reversed_amount: Decimal, settled: Decimal | None) -> StatementLine:
    if entry["base"] > 0 and entry["reversed_base"] == entry["base"]:
        state = LineState.REVERSED  # every unit came back
    else:
        state = LineState.FROZEN if settled is None else LineState.SETTLED
    return StatementLine(
        entry_id=entry["pk"],
        order_id=entry["order_id"],
        order_number=entry["order__number"],
        paid_at=entry["order__paid_at"],
        sku_code=entry["line__sku__code"],
        sku_name=entry["line__sku__name"],
        touchpoint=entry["credit__touchpoint"],
        party=entry["credit__party"],
        split_percent=entry["credit__percent"],
        plan_id=entry["plan_id"],
        plan_name=entry["plan__name"],
        base_percent=entry["base_percent"],
        tier_from=entry["tier_from"],
        tier_bonus_percent=entry["tier_bonus_percent"],
        rate=entry["rate"],
        base=to_money(entry["base"]),
        accrued=to_money(entry["amount"]),
        clipped=entry["clipped"],
        reversed=to_money(reversed_amount),
        settled=to_money(settled) if settled is not None else ZERO,
        frozen=ZERO if settled is not None else to_money(entry["amount"] + reversed_amount),
        state=state,
        frozen_until=entry["frozen_until"],
    )


@dataclass
class MyCommission:
    employee: Employee
    frozen: Decimal
    settled: Decimal
    period: date
    month_volume: Decimal
    month: Totals
    plan: CommissionPlan | None


def my_commission(*, actor: Actor) -> MyCommission:
    """The signed-in employee's balance and this month so far."""
    authorize(actor, Operation.VIEW_MY_COMMISSION)
    employee = actor.employee
    if employee is None:  # the back-office owner account acts as HQ but earns nothing
        raise DomainError(ErrorCode.FORBIDDEN, "employees only")
    balance = CommissionBalance.objects.filter(employee_id=employee.pk).first()
    period = timezone.localdate().replace(day=1)
    month = CommissionMonth.objects.filter(employee_id=employee.pk, period=period).first()
    return MyCommission(
        employee=employee,
        frozen=to_money(balance.frozen) if balance else ZERO,
        settled=to_money(balance.settled) if balance else ZERO,
        period=period,
        month_volume=to_money(month.volume) if month else ZERO,
        month=totals_of(employee_id=employee.pk, period=period),
        plan=plan_for(timezone.localdate()),
    )


def plans() -> QuerySet[CommissionPlan]:
    return CommissionPlan.objects.prefetch_related("rates", "tiers").order_by("-effective_from", "-pk")


def plans_for(*, actor: Actor) -> QuerySet[CommissionPlan]:
    """Every employee may read the plans (the rules are transparent); HQ writes them."""
    authorize(actor, Operation.VIEW_MY_COMMISSION)
    return plans()


def plan_for_id(*, actor: Actor, plan_id: int) -> CommissionPlan:
    plan = plans_for(actor=actor).filter(pk=plan_id).first()
    if plan is None:
        raise not_found("plan")
    return plan


def visible_employees(*, actor: Actor) -> QuerySet[Employee]:
    """Whose statements the actor may open (a list for the HQ and manager pages)."""
    if not may(actor, Operation.VIEW_COMMISSION_STATEMENTS):
        ids = [actor.employee.pk] if actor.employee is not None else []
        return Employee.objects.filter(pk__in=ids)
    employees = Employee.objects.select_related("home_location").order_by("display_name", "pk")
    if actor.location_ids is None:
        return employees
    return employees.filter(Q(home_location_id__in=actor.location_ids) | Q(pk=getattr(actor.employee, "pk", None)))
