"""Demo cash book: franchise stores get their share of the online orders they fulfil, and the first
stores have closed their last business days from the history's takings (one close with a large
variance; the first store has not closed yesterday yet, so HQ sees it under "not closed yet")."""

from datetime import timedelta
from decimal import Decimal

from o2o.cashbook.models import DailyClose
from o2o.cashbook.selectors import store_takings, variance_alert
from o2o.demo.generator.base import Run
from o2o.staff.models import Employee, Role
from o2o.stores.models import Location

FRANCHISE_SHARE_PERCENT = Decimal("8.00")
CLOSING_STORES = 8
CLOSED_DAYS = 5
CLOSING_HOUR = 21.5  # after the stores close at 21:00
SMALL_VARIANCES = [Decimal(v) for v in ("0.00", "0.00", "0.00", "0.00", "-0.50", "1.00", "-2.30", "0.20")]
LARGE_VARIANCE = Decimal("86.40")


def create_cashbook(run: Run) -> int:
    Location.objects.filter(ownership=Location.Ownership.FRANCHISE).update(
        franchise_share_percent=FRANCHISE_SHARE_PERCENT
    )
    managers = dict(
        Employee.objects.filter(role=Role.STORE_MANAGER, is_active=True).values_list("home_location_id", "user_id")
    )
    stores = Location.objects.filter(kind=Location.Kind.STORE, pk__in=managers).order_by("code")[:CLOSING_STORES]
    rng = run.rng("cashbook")
    days = [run.today - timedelta(days=k) for k in range(CLOSED_DAYS, 0, -1)]
    written = 0
    for i, store in enumerate(stores):
        for day in days:
            if i == 0 and day == days[-1]:
                continue
            large = i == 1 and day == days[-2]
            written += _close(
                run, store, day, managers[store.pk], LARGE_VARIANCE if large else rng.choice(SMALL_VARIANCES)
            )
    run.say(f"cash book: {written} daily closes")
    return written


def _close(run: Run, store: Location, day, user_id: int, variance: Decimal) -> int:
    closed_at = run.at(day, CLOSING_HOUR)
    takings = store_takings(location=store, business_date=day, now=closed_at)
    expected = takings.expected_cash
    counted = max(expected + variance, Decimal("0.00"))
    DailyClose.objects.create(
        location=store,
        business_date=day,
        takings_from=takings.start,
        takings_to=takings.end,
        opening_float=takings.opening_float,
        expected_cash=expected,
        counted_cash=counted,
        variance=counted - expected,
        variance_flagged=abs(counted - expected) > variance_alert(),
        takings=takings.snapshot(),
        note="钱箱多出现金，疑似少找零，已报备" if variance == LARGE_VARIANCE else "",
        closed_by_id=user_id,
        closed_at=closed_at,
    )
    return 1
