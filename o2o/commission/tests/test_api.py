"""Who sees whose commission, HQ's plans, and bad input (always a 4xx problem, nothing written)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from o2o.commission.models import CommissionPlan, PlanRate, PlanTier
from o2o.commission.tests.conftest import counter_sale, create_plan, statement_of, stocked_sku
from o2o.staff.models import Role
from o2o.testing.api import ApiClient, as_member, as_staff, problem_code
from o2o.testing.factories import EmployeeFactory, LocationFactory, RegionFactory, SKUFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sold(store, clerk, hq):
    create_plan(hq, default="5.00")
    counter_sale(clerk, (stocked_sku(store, "50.00"), 2))
    return clerk


def test_an_employee_sees_their_own_statement(sold):
    response = statement_of(sold, sold)

    assert response.status_code == 200
    body = response.json()
    assert (body["employee_id"], body["totals"]["accrued"], len(body["lines"])) == (sold.pk, "5.00", 2)
    line = body["lines"][0]
    assert (line["touchpoint"], line["party"], line["split_percent"], line["plan_name"]) == (
        "store_sale", "cashier", "80.00", "Standard"
    )
    assert (line["base"], line["rate"], line["accrued"], line["state"]) == ("80.00", "5.00", "4.00", "frozen")


def test_an_employee_may_not_see_a_colleagues_statement(sold, store):
    colleague = EmployeeFactory(home_location=store)

    response = statement_of(colleague, sold)

    assert (response.status_code, problem_code(response)) == (403, "forbidden")


def test_a_manager_sees_their_stores_employees_only(sold, manager):
    other_manager = EmployeeFactory(role=Role.STORE_MANAGER, home_location=LocationFactory())

    assert statement_of(manager, sold).status_code == 200
    response = statement_of(other_manager, sold)
    assert (response.status_code, problem_code(response)) == (404, "not_found")


def test_a_regional_supervisor_sees_their_region_and_hq_everyone(sold, store, hq):
    supervisor = EmployeeFactory(role=Role.REGIONAL_SUPERVISOR, home_location=None, region=store.region)
    beijing = RegionFactory(code="BJ-CY", name="朝阳区")
    elsewhere = EmployeeFactory(role=Role.REGIONAL_SUPERVISOR, home_location=None, region=beijing)

    assert statement_of(supervisor, sold).status_code == 200
    assert statement_of(hq, sold).status_code == 200
    assert statement_of(elsewhere, sold).status_code == 404


def test_members_and_anonymous_callers_see_no_commission(sold, member):
    assert as_member(member).get("commission/statements", employee_id=sold.pk).status_code == 403
    assert as_member(member).get("commission/me").status_code == 403
    assert ApiClient().get("commission/me").status_code == 401


def test_the_csv_export_has_every_line_and_the_totals(sold):
    period = f"{timezone.localdate():%Y-%m}"

    response = as_staff(sold).get("commission/statements.csv", employee_id=sold.pk, period=period)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = response.content.decode().splitlines()
    assert rows[0].startswith("order,paid_at,sku,touchpoint,party,split_percent,plan")
    assert len(rows) == 1 + 2 + 3  # header, two lines, blank + totals header + totals
    assert rows[-1] == "5.00,0.00,0.00,0.00,5.00"


@pytest.mark.parametrize("period", ["2026-13", "2026-1", "abc", "20260101", "2026-00"])
def test_a_bad_period_is_a_422(sold, period):
    response = as_staff(sold).get("commission/statements", employee_id=sold.pk, period=period)

    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("employee_id", ["0", "-1", "abc", "99999999999999999999"])
def test_a_bad_employee_id_is_a_422(sold, employee_id):
    assert as_staff(sold).get("commission/statements", employee_id=employee_id).status_code == 422


def test_an_unknown_employee_is_a_404_for_hq(hq):
    assert statement_of(hq, type("E", (), {"pk": 987654})()).status_code == 404


def test_a_period_without_entries_is_an_empty_statement(sold):
    body = statement_of(sold, sold, period="2020-01").json()

    assert body["lines"] == []
    assert body["totals"] == {"accrued": "0.00", "reversed": "0.00", "clawed_back": "0.00", "settled": "0.00",
                              "frozen": "0.00"}  # fmt: skip


def _plan_body(**changes):
    return {"name": "Autumn", "effective_from": "2030-09-01", "monthly_cap": "800.00",
            "rates": [{"percent": "3.00"}], "tiers": [{"monthly_volume_from": "10000.00", "bonus_percent": "1.00"}],
            **changes}  # fmt: skip


def test_hq_creates_a_plan_with_rates_and_tiers_once_per_idempotency_key(hq):
    sku = SKUFactory()
    body = _plan_body(rates=[{"percent": "3.00"}, {"sku_id": sku.pk, "percent": "8.50"}])
    headers = {"Idempotency-Key": "plan-autumn"}

    first = as_staff(hq).post("commission/plans", body, headers=headers)
    again = as_staff(hq).post("commission/plans", body, headers=headers)

    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json() == again.json()
    assert CommissionPlan.objects.count() == 1
    assert {(r["sku_id"], r["percent"]) for r in first.json()["rates"]} == {(None, "3.00"), (sku.pk, "8.50")}
    assert as_staff(hq).get("commission/plans").json()[0]["id"] == first.json()["id"]


@pytest.mark.parametrize(
    "changes",
    [
        {"rates": [{"percent": "3.00"}, {"percent": "4.00"}]},  # two defaults
        {"rates": [{"category_id": 1, "percent": "3.00"}]},  # no default (and an unknown category)
        {"rates": [{"percent": "3.00"}, {"sku_id": 987654, "percent": "4.00"}]},  # unknown SKU
        {"rates": [{"percent": "101"}]},
        {"rates": [{"percent": "-1"}]},
        {"rates": [{"percent": "3.001"}]},
        {"rates": []},
        {"effective_to": "2030-08-31"},  # ends before it starts
        {"effective_from": "2030-9-1"},
        {"effective_from": 20300901},
        {"monthly_cap": "-5.00"},
        {"tiers": [{"monthly_volume_from": "100.00", "bonus_percent": "1"},
                   {"monthly_volume_from": "100.00", "bonus_percent": "2"}]},  # fmt: skip
        {"name": ""},
    ],
)
def test_a_bad_plan_is_a_422_and_nothing_is_written(hq, changes):
    response = as_staff(hq).post("commission/plans", _plan_body(**changes))

    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert (CommissionPlan.objects.count(), PlanRate.objects.count(), PlanTier.objects.count()) == (0, 0, 0)


def test_only_hq_creates_or_ends_plans(store, hq):
    manager = EmployeeFactory(role=Role.STORE_MANAGER, home_location=store)

    response = as_staff(manager).post("commission/plans", _plan_body())

    assert (response.status_code, problem_code(response)) == (403, "forbidden")
    assert CommissionPlan.objects.count() == 0
    plan = create_plan(hq)
    ended = as_staff(manager).post(f"commission/plans/{plan['id']}/end", {"effective_to": "2031-01-01"})
    assert ended.status_code == 403


def test_hq_ends_a_plan_not_in_the_past(hq):
    plan = create_plan(hq)
    yesterday = str(timezone.localdate() - timedelta(days=1))

    refused = as_staff(hq).post(f"commission/plans/{plan['id']}/end", {"effective_to": yesterday})
    ended = as_staff(hq).post(f"commission/plans/{plan['id']}/end", {"effective_to": "2031-01-01"})

    assert refused.status_code == 422
    assert (ended.status_code, ended.json()["effective_to"]) == (200, "2031-01-01")
    assert as_staff(hq).post("commission/plans/987654/end", {"effective_to": "2031-01-01"}).status_code == 404
