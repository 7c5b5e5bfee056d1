"""The terms of a store credit plan: who qualifies, the fee by plan length, and the schedule.

Pure functions of money and dates (no database), so the schedule can be shown before the plan exists.
"""

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from o2o.core.money import CENT, to_money
from o2o.installments.models import PLAN_LENGTHS


def min_amount() -> Decimal:
    """The smallest order total that may be financed (O2O_INSTALLMENT_MIN_AMOUNT, shared with the
    gateway's installment product)."""
    return to_money(settings.O2O_INSTALLMENT_MIN_AMOUNT)


def fee_percents(raw: str | None = None) -> dict[int, Decimal]:
    """O2O_STORE_CREDIT_FEE_PERCENT: one number for every plan length ("1.5"), or one per length
    ("3:0,6:1.5,12:3"; a length not named costs nothing)."""
    raw = (settings.O2O_STORE_CREDIT_FEE_PERCENT if raw is None else raw).strip() or "0"
    try:
        if ":" not in raw:
            percents = dict.fromkeys(PLAN_LENGTHS, Decimal(raw))
        else:
            pairs = (part.split(":") for part in raw.split(",") if part.strip())
            percents = {**dict.fromkeys(PLAN_LENGTHS, Decimal(0)), **{int(k): Decimal(v) for k, v in pairs}}
    except (ValueError, InvalidOperation) as exc:
        raise ImproperlyConfigured(f"O2O_STORE_CREDIT_FEE_PERCENT is not understood: {raw!r}") from exc
    if set(percents) != set(PLAN_LENGTHS) or any(not (0 <= p <= 100) for p in percents.values()):
        raise ImproperlyConfigured(f"O2O_STORE_CREDIT_FEE_PERCENT: lengths 3, 6, 12 and 0..100 percent, not {raw!r}")
    return percents


def add_months(start: date, months: int) -> date:
    """The same day `months` later; the last day of a shorter month (31 Jan + 1 = 28/29 Feb)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def split(total: Decimal, periods: int) -> list[Decimal]:
    """`total` in `periods` parts to the fen: equal parts rounded down, the remainder on the last
    (1000.00 / 3 = 333.33, 333.33, 333.34)."""
    part = (total / periods).quantize(CENT, rounding=ROUND_DOWN)
    return [part] * (periods - 1) + [total - part * (periods - 1)]


@dataclass(frozen=True)
class Terms:
    periods: int
    financed: Decimal
    fee_percent: Decimal
    fee: Decimal
    dues: list[tuple[date, Decimal]]

    @property
    def total(self) -> Decimal:
        return self.financed + self.fee


def terms_for(*, financed: Decimal, periods: int, start: date) -> Terms:
    """The plan for `financed` over `periods` months, the first due one month after `start`."""
    percent = fee_percents()[periods]
    fee = to_money(financed * percent / 100)
    amounts = split(financed + fee, periods)
    dues = [(add_months(start, seq), amount) for seq, amount in enumerate(amounts, start=1)]
    return Terms(periods=periods, financed=financed, fee_percent=percent, fee=fee, dues=dues)


def fee_share(plan, credit: Decimal) -> Decimal:
    """The part of the plan's fee that goes with `credit` of its financed amount (all of it with
    all): a return takes it off the dues together with the refunded credit."""
    return to_money(plan.fee * credit / plan.financed_amount)
