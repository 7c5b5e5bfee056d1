"""The commission ledger through the API: accrued (frozen) when paid, rates by SKU / category /
default, tiers by monthly volume, the monthly cap, exact reversal of returned units, settlement
when the return window closes, and statements that reconcile with the ledger and the balance."""

from decimal import Decimal

import pytest

from o2o.attribution.models import LineCredit
from o2o.commission import audit, rules, services
from o2o.commission.models import CommissionBalance, CommissionEntry, EntryKind
from o2o.commission.rules import PlanRules
from o2o.commission.tests.conftest import (
    close_return_windows,
    counter_sale,
    create_plan,
    me,
    statement_of,
    stocked_sku,
    take_back,
)
from o2o.orders.models import Order
from o2o.testing.factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db


def _entries(employee, kind=None):
    rows = CommissionEntry.objects.filter(employee=employee).order_by("pk")
    if kind:
        rows = rows.filter(kind=kind)
    return [(e.kind, str(e.base), str(e.rate), str(e.amount)) for e in rows]


def test_a_paid_sale_accrues_frozen_commission_on_the_cashiers_credits(store, clerk, hq):
    create_plan(hq, default="5.00")
    sku = stocked_sku(store, "50.00")

    counter_sale(clerk, (sku, 2))

    # the cashier's 80% and the acquiring employee's 20% (nobody acquired this walk-in: the cashier's)
    assert _entries(clerk) == [("accrual", "80.00", "5.00", "4.00"), ("accrual", "20.00", "5.00", "1.00")]
    mine = me(clerk)
    assert (mine["frozen"], mine["settled"]) == ("5.00", "0.00")
    assert (mine["month"]["accrued"], mine["month_volume"]) == ("5.00", "100.00")


def test_no_plan_in_force_accrues_nothing(store, clerk):
    counter_sale(clerk, (stocked_sku(store, "50.00"), 1))

    assert CommissionEntry.objects.count() == 0
    assert me(clerk)["frozen"] == "0.00"


def test_the_skus_rate_beats_its_categorys_which_beats_an_ancestors_and_the_default(store, clerk, hq):
    drinks = CategoryFactory()
    tea = CategoryFactory(parent=drinks)
    green, black = ProductFactory(category=tea), ProductFactory(category=tea)
    special = stocked_sku(store, "10.00", product=green)
    plain_tea = stocked_sku(store, "10.00", product=black)
    other = stocked_sku(store, "10.00")
    create_plan(hq, default="1.00", rates=[{"category_id": drinks.pk, "percent": "3.00"},
                                          {"sku_id": special.pk, "percent": "10.00"}])  # fmt: skip

    counter_sale(clerk, (special, 10), (plain_tea, 10), (other, 10))

    rates = {(e.line.sku_id, str(e.base_percent)) for e in CommissionEntry.objects.filter(kind=EntryKind.ACCRUAL)}
    assert rates == {(special.pk, "10.00"), (plain_tea.pk, "3.00"), (other.pk, "1.00")}
    # 100.00 of each: 10.00 + 3.00 + 1.00
    assert me(clerk)["frozen"] == "14.00"


def test_a_tier_applies_to_the_lines_after_the_months_volume_reached_it(store, clerk, hq):
    create_plan(hq, default="5.00", tiers=[{"monthly_volume_from": "100.00", "bonus_percent": "2.00"}])
    sku = stocked_sku(store, "100.00")

    counter_sale(clerk, (sku, 1))  # credits 80 + 20: both before the volume reached 100
    counter_sale(clerk, (sku, 1))  # volume 100 before: 7%

    assert _entries(clerk) == [
        ("accrual", "80.00", "5.00", "4.00"),
        ("accrual", "20.00", "5.00", "1.00"),
        ("accrual", "80.00", "7.00", "5.60"),
        ("accrual", "20.00", "7.00", "1.40"),
    ]
    lines = statement_of(clerk, clerk).json()["lines"]
    assert [(line["tier_from"], line["tier_bonus_percent"]) for line in lines] == [
        (None, "0.00"), (None, "0.00"), ("100.00", "2.00"), ("100.00", "2.00")
    ]


def test_the_monthly_cap_clips_the_line_that_crosses_it_and_stops_the_rest(store, clerk, hq):
    create_plan(hq, default="5.00", cap="6.00")
    sku = stocked_sku(store, "100.00")

    counter_sale(clerk, (sku, 1))
    counter_sale(clerk, (sku, 1))

    assert _entries(clerk) == [
        ("accrual", "80.00", "5.00", "4.00"),
        ("accrual", "20.00", "5.00", "1.00"),
        ("accrual", "80.00", "5.00", "1.00"),  # 4.00 clipped to what was left under the cap
        ("accrual", "20.00", "5.00", "0.00"),
    ]
    lines = statement_of(clerk, clerk).json()["lines"]
    assert [line["clipped"] for line in lines] == [False, False, True, True]
    assert me(clerk)["frozen"] == "6.00"


def test_the_return_window_closing_settles_what_was_frozen(store, clerk, hq):
    create_plan(hq, default="5.00")
    counter_sale(clerk, (stocked_sku(store, "50.00"), 2))

    assert close_return_windows() == 1

    mine = me(clerk)
    assert (mine["frozen"], mine["settled"]) == ("0.00", "5.00")
    assert [line["state"] for line in statement_of(clerk, clerk).json()["lines"]] == ["settled", "settled"]
    assert close_return_windows() == 0  # settled once
    assert CommissionEntry.objects.filter(kind=EntryKind.SETTLEMENT).count() == 2


def test_a_partial_return_reverses_exactly_the_returned_units_of_that_line(store, clerk, manager, hq):
    create_plan(hq, default="5.00")
    returned_sku, kept_sku = stocked_sku(store, "9.99"), stocked_sku(store, "20.00")
    order = counter_sale(clerk, (returned_sku, 3), (kept_sku, 1))

    take_back(manager, order, 0, 1)

    # line 1: 29.97 -> credits 23.98 (80%) + 5.99 (20%); one unit of three back: 7.99 + 2.00
    assert _entries(clerk, EntryKind.REVERSAL) == [
        ("reversal", "-7.99", "5.00", "-0.40"),
        ("reversal", "-2.00", "5.00", "-0.10"),
    ]
    # accrued: 1.20 + 0.30 (line 1) + 0.80 + 0.20 (line 2); reversed 0.50
    assert me(clerk)["frozen"] == "2.00"

    take_back(manager, order, 0, 2)  # the rest of line 1: what is left of its accruals, exactly

    line_one = CommissionEntry.objects.filter(kind=EntryKind.ACCRUAL, line_id=order["lines"][0]["id"]).order_by("pk")
    assert [(str(e.reversed_base), str(e.reversed_amount)) for e in line_one] == [("23.98", "1.20"), ("5.99", "0.30")]
    assert me(clerk)["frozen"] == "1.00"

    close_return_windows()

    lines = statement_of(clerk, clerk).json()["lines"]
    assert [(line["state"], line["reversed"], line["settled"]) for line in lines] == [
        ("reversed", "-1.20", "0.00"),
        ("reversed", "-0.30", "0.00"),
        ("settled", "0.00", "0.80"),
        ("settled", "0.00", "0.20"),
    ]
    assert (me(clerk)["frozen"], me(clerk)["settled"]) == ("0.00", "1.00")


def test_the_statement_reconciles_with_the_ledger_and_the_balance(store, clerk, manager, hq):
    create_plan(hq, default="4.00", tiers=[{"monthly_volume_from": "150.00", "bonus_percent": "1.50"}], cap="30.00")
    a, b = stocked_sku(store, "33.33"), stocked_sku(store, "77.70")
    first = counter_sale(clerk, (a, 3), (b, 1))
    counter_sale(clerk, (b, 4))
    take_back(manager, first, 0, 2)
    close_return_windows()  # both settle
    counter_sale(clerk, (a, 5))  # still frozen

    body = statement_of(clerk, clerk).json()
    totals = {k: Decimal(v) for k, v in body["totals"].items()}
    lines = body["lines"]
    assert sum(Decimal(line["accrued"]) for line in lines) == totals["accrued"]
    assert sum(Decimal(line["reversed"]) for line in lines) == totals["reversed"] + totals["clawed_back"]
    assert sum(Decimal(line["settled"]) for line in lines) == totals["settled"]
    assert sum(Decimal(line["frozen"]) for line in lines) == totals["frozen"]
    balance = CommissionBalance.objects.get(employee=clerk)
    assert (balance.frozen, balance.settled) == (totals["frozen"], totals["settled"] + totals["clawed_back"])
    assert totals["accrued"] <= Decimal("30.00")
    assert totals["frozen"] > 0 and totals["settled"] > 0 and totals["reversed"] < 0
    assert audit.run() == []


def test_a_second_lines_credited_event_accrues_nothing_twice(store, clerk, hq):
    create_plan(hq, default="5.00")
    order = counter_sale(clerk, (stocked_sku(store, "50.00"), 2))
    credits = list(LineCredit.objects.filter(order_id=order["id"]))

    services.accrue(order=Order.objects.get(pk=order["id"]), credits=credits)

    assert len(_entries(clerk)) == 2
    assert me(clerk)["frozen"] == "5.00"


def test_an_order_of_several_lines_looks_up_and_loads_its_plan_once(store, clerk, hq, monkeypatch):
    create_plan(hq, default="5.00")
    looked_up, loaded, load = [], [], PlanRules.load
    monkeypatch.setattr(services, "plan_for", lambda day: looked_up.append(day) or rules.plan_for(day))
    monkeypatch.setattr(PlanRules, "load", lambda plan: loaded.append(plan.pk) or load(plan))
    skus = [stocked_sku(store, price) for price in ("10.00", "20.00", "5.00")]

    counter_sale(clerk, (skus[0], 1), (skus[1], 2), (skus[2], 1))

    # three lines, each credited to the cashier twice (80% + 20%), at the plan's 5%
    assert me(clerk)["frozen"] == "2.75" and len(_entries(clerk)) == 6
    assert (len(looked_up), len(loaded)) == (1, 1)


def test_the_audit_finds_a_balance_that_disagrees_with_the_ledger(store, clerk, hq):
    create_plan(hq, default="5.00")
    counter_sale(clerk, (stocked_sku(store, "50.00"), 2))
    CommissionBalance.objects.filter(employee=clerk).update(frozen=Decimal("9.00"))

    assert [finding.check for finding in audit.run()] == ["commission_balance"]


def test_a_statement_is_two_queries_whatever_its_length(store, clerk, hq, django_assert_num_queries):
    from django.utils import timezone

    from o2o.commission.selectors import statement

    create_plan(hq, default="5.00")
    for _ in range(3):
        counter_sale(clerk, (stocked_sku(store, "10.00"), 1), (stocked_sku(store, "20.00"), 2))
    close_return_windows()

    with django_assert_num_queries(2):
        result = statement(employee=clerk, period=timezone.localdate().replace(day=1))

    assert len(result.lines) == 12 and result.totals.settled == Decimal("7.50")
