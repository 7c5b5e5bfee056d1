"""The commission pages: my commission (/me/commission/) and HQ's plans and statements."""

import pytest
from django.test import Client

from o2o.commission.models import CommissionPlan, PlanRate
from o2o.commission.tests.conftest import counter_sale, create_plan, stocked_sku
from o2o.staff.models import Role
from o2o.testing.factories import EmployeeFactory, LocationFactory, SKUFactory

pytestmark = pytest.mark.django_db


def _signed_in(employee) -> Client:
    client = Client()
    client.force_login(employee.user)
    return client


@pytest.fixture
def sold(store, clerk, hq):
    create_plan(hq, default="5.00", name="门店提成")
    counter_sale(clerk, (stocked_sku(store, "50.00"), 2))
    return clerk


def test_my_commission_shows_my_balance_and_statement_lines(sold):
    page = _signed_in(sold).get("/me/commission/")

    assert page.status_code == 200
    text = page.content.decode()
    assert "¥5.00" in text and "¥4.00" in text and "门店提成" in text
    csv = _signed_in(sold).get("/me/commission/", {"format": "csv"})
    assert csv["Content-Type"].startswith("text/csv") and len(csv.content.decode().splitlines()) == 6


def test_a_bad_period_on_the_page_shows_this_month(sold):
    assert _signed_in(sold).get("/me/commission/", {"period": "2026-99"}).status_code == 200


def test_hq_opens_any_statement_and_a_manager_of_another_store_gets_404(sold, hq):
    mine = _signed_in(hq).get("/hq/commission/statements/", {"employee": sold.pk})
    stranger = EmployeeFactory(role=Role.STORE_MANAGER, home_location=LocationFactory())

    assert mine.status_code == 200 and "¥4.00" in mine.content.decode()
    assert _signed_in(stranger).get("/hq/commission/statements/", {"employee": sold.pk}).status_code == 404
    assert _signed_in(sold).get("/hq/commission/statements/").status_code == 403  # a clerk


def test_hq_creates_a_plan_from_the_form_and_a_bad_line_writes_nothing(hq):
    sku = SKUFactory()
    form = {"name": "秋季", "effective_from": "2030-09-01", "default_percent": "3.00",
            "rates": f"{sku.code} = 8.50", "tiers": "10000 = 1.00", "key": "k1"}  # fmt: skip

    bad = _signed_in(hq).post("/hq/commission/plans/", {**form, "rates": "NOSUCH = 2"})
    assert bad.status_code == 422 and not CommissionPlan.objects.exists()
    made = _signed_in(hq).post("/hq/commission/plans/", form)

    assert made.status_code == 302
    assert {(r.sku_id, str(r.percent)) for r in PlanRate.objects.all()} == {(None, "3.00"), (sku.pk, "8.50")}
    assert _signed_in(hq).get("/hq/commission/").status_code == 200


@pytest.mark.parametrize("tiers", ["abc = 1.00", "-5 = 1.00", "NaN = 1.00", "100.001 = 1.00"])
def test_a_tier_whose_volume_is_not_an_amount_is_a_form_error(hq, tiers):
    form = {"name": "x", "effective_from": "2030-09-01", "default_percent": "3.00", "tiers": tiers, "key": "k"}

    response = _signed_in(hq).post("/hq/commission/plans/", form)

    assert response.status_code == 422
    assert "阶梯起点须为 0 或以上的月度业绩金额（元）。" in response.content.decode()
    assert not CommissionPlan.objects.exists()


def test_only_hq_posts_a_plan(store):
    manager = EmployeeFactory(role=Role.STORE_MANAGER, home_location=store)

    response = _signed_in(manager).post("/hq/commission/plans/", {"name": "x", "effective_from": "2030-01-01",
                                                                   "default_percent": "1"})  # fmt: skip

    assert response.status_code == 403
    assert not CommissionPlan.objects.exists()
