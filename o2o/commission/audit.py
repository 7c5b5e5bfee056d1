"""Audit checks on commission, for `o2o audit`: each employee's balance (frozen, settled) against
the sum of their ledger; each month row against its accruals; each accrual's reversed counters
against its reversal entries; and business facts: an accrual of a completed order is settled, an
accrual of an order still in its return window is not, and an accrual never exceeds its credit's
base times its rate. Findings, not exceptions."""

from django.db.models import DecimalField, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Round

from o2o.commission.models import CommissionBalance, CommissionEntry, CommissionMonth, EntryKind
from o2o.core.findings import Finding
from o2o.orders.models import OrderState

LIMIT = 1000

_MONEY = DecimalField(max_digits=12, decimal_places=2)
_ZERO = Value(0, output_field=_MONEY)


def _cents(expression):
    """To two places before comparing: SQLite keeps decimals as floats, so its sums and stored values
    may differ in the last bits (3.68 against 3.6799999999999997). A no-op on PostgreSQL's numeric."""
    return Round(expression, 2, output_field=_MONEY)


def _sum(entries, field: str = "amount"):
    summed = entries.order_by().values("employee_id").annotate(total=Sum(field)).values("total")[:1]
    return Coalesce(Subquery(summed, output_field=_MONEY), _ZERO)


def balances_against_ledger() -> list[Finding]:
    mine = CommissionEntry.objects.filter(employee_id=OuterRef("employee_id"))
    rows = (
        CommissionBalance.objects.annotate(
            accrued=_sum(mine.filter(kind=EntryKind.ACCRUAL)),
            reversed=_sum(mine.filter(kind=EntryKind.REVERSAL)),
            settled_in=_sum(mine.filter(kind=EntryKind.SETTLEMENT)),
            clawed=_sum(mine.filter(kind=EntryKind.CLAWBACK)),
        )
        .annotate(
            ledger_frozen=_cents(F("accrued") + F("reversed") - F("settled_in")),
            ledger_settled=_cents(F("settled_in") + F("clawed")),
            frozen_cents=_cents(F("frozen")),
            settled_cents=_cents(F("settled")),
        )
        .filter(~Q(frozen_cents=F("ledger_frozen")) | ~Q(settled_cents=F("ledger_settled")))
        .values_list("employee_id", "frozen", "settled", "ledger_frozen", "ledger_settled")[:LIMIT]
    )
    return [
        Finding("commission_balance", f"employee {pk}", f"frozen {f} settled {s}, ledger frozen {lf} settled {ls}")
        for pk, f, s, lf, ls in rows
    ]


def months_against_accruals() -> list[Finding]:
    accruals = CommissionEntry.objects.filter(
        employee_id=OuterRef("employee_id"), period=OuterRef("period"), kind=EntryKind.ACCRUAL
    )
    rows = (
        CommissionMonth.objects.annotate(
            ledger_volume=_cents(_sum(accruals, "base")),
            ledger_accrued=_cents(_sum(accruals)),
            volume_cents=_cents(F("volume")),
            accrued_cents=_cents(F("accrued")),
        )
        .filter(~Q(volume_cents=F("ledger_volume")) | ~Q(accrued_cents=F("ledger_accrued")))
        .values_list("employee_id", "period", "volume", "accrued", "ledger_volume", "ledger_accrued")[:LIMIT]
    )
    return [
        Finding("commission_month", f"employee {pk} {period:%Y-%m}", f"volume {v} accrued {a}, ledger {lv} {la}")
        for pk, period, v, a, lv, la in rows
    ]


def accruals_against_reversals() -> list[Finding]:
    back = CommissionEntry.objects.filter(reverses=OuterRef("pk")).order_by().values("reverses")

    def taken(field: str):
        return Coalesce(Subquery(back.annotate(t=Sum(field)).values("t")[:1], output_field=_MONEY), _ZERO)

    rows = (
        CommissionEntry.objects.filter(kind=EntryKind.ACCRUAL)
        .annotate(
            back_base=_cents(-taken("base")),
            back_amount=_cents(-taken("amount")),
            reversed_base_cents=_cents(F("reversed_base")),
            reversed_amount_cents=_cents(F("reversed_amount")),
        )
        .filter(~Q(reversed_base_cents=F("back_base")) | ~Q(reversed_amount_cents=F("back_amount")))
        .values_list("pk", "reversed_base", "reversed_amount", "back_base", "back_amount")[:LIMIT]
    )
    return [
        Finding("commission_reversals", f"accrual {pk}", f"counted {rb}/{ra}, reversal entries {bb}/{ba}")
        for pk, rb, ra, bb, ba in rows
    ]


def settlements_against_orders() -> list[Finding]:
    """Settled exactly when the order completed (its return window closed)."""
    settled = CommissionEntry.objects.filter(credit_id=OuterRef("credit_id"), kind=EntryKind.SETTLEMENT)
    accruals = CommissionEntry.objects.filter(kind=EntryKind.ACCRUAL).annotate(
        settled_count=Coalesce(
            Subquery(settled.order_by().values("credit_id").annotate(n=Sum(Value(1))).values("n")[:1]), Value(0)
        )
    )
    rows = (
        accruals.filter(
            Q(order__state=OrderState.COMPLETED, settled_count=0) | ~Q(order__state=OrderState.COMPLETED) & Q(
                settled_count__gt=0
            )
        )
        .values_list("pk", "order__number", "order__state", "settled_count")[:LIMIT]
    )
    return [
        Finding("commission_settlement", f"accrual {pk} (order {number})", f"order {state}, settlements {n}")
        for pk, number, state, n in rows
    ]


def accruals_within_their_rate() -> list[Finding]:
    """An accrual is its base times its rate, or less when the monthly cap clipped it."""
    rows = [
        (pk, base, rate, amount, clipped)
        for pk, base, rate, amount, clipped in CommissionEntry.objects.filter(kind=EntryKind.ACCRUAL)
        # in cents, without a division: SQLite keeps 20.00 as the integer 20, and 20 * 4 / 100 is 0 there
        # (base x rate is exact to 1/10000 of a cent: the 0.00005 absorbs SQLite's float error, never a real cent)
        .alias(amount_cents=Round(F("amount") * 100, output_field=_MONEY))
        .filter(amount_cents__gt=F("base") * F("rate") + Value("0.50005", output_field=_MONEY))
        .values_list("pk", "base", "rate", "amount", "clipped")[:LIMIT]
    ]
    return [
        Finding("commission_rate", f"accrual {pk}", f"base {base} at {rate}% gave {amount} (clipped: {clipped})")
        for pk, base, rate, amount, clipped in rows
    ]


def run() -> list[Finding]:
    return [
        *balances_against_ledger(),
        *months_against_accruals(),
        *accruals_against_reversals(),
        *settlements_against_orders(),
        *accruals_within_their_rate(),
    ]
