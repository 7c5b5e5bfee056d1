"""The boss pages (/boss/) on the chain of test_staff_performance: the same figures as the API,
each figure's rows adding up to it, and the same scope (403 for clerks, 404 outside scope)."""

import re
from decimal import Decimal

import pytest
from django.test import Client

from o2o.analytics.tests.test_staff_performance import chain  # noqa: F401  (the fixture)
from o2o.staff.models import Role
from o2o.testing.factories import EmployeeFactory

pytestmark = pytest.mark.django_db


def _client(employee) -> Client:
    client = Client()
    client.force_login(employee.user)
    return client


def _hq() -> Client:
    return _client(EmployeeFactory(role=Role.HQ, home_location=None))


def _amounts(html: str, attribute: str) -> list[Decimal]:
    return [Decimal(v) for v in re.findall(rf'{attribute}="(-?[0-9.]+)"', html)]


def test_the_overview_shows_every_store_with_links_to_its_rows(chain):  # noqa: F811
    response = _hq().get("/boss/", {"period": "today"})

    assert response.status_code == 200
    html = response.content.decode()
    store_a = chain["store_a"]
    assert f'data-location="{store_a.pk}" data-revenue="50.00" data-orders="3" data-credited="5.00"' in html
    assert 'data-staff-credited="45.00"' in html
    assert f"/boss/stores/{store_a.pk}/orders/?period=today" in html
    assert 'id="boss-chart-data"' in html and "<script>" not in html  # data only: no inline script (CSP)


def test_an_employees_page_lists_the_lines_that_add_up_to_their_credited_sales(chain):  # noqa: F811
    response = _hq().get(f"/boss/employees/{chain['a1'].pk}/", {"period": "month"})

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-kpi="credited_sales" data-value="35.00"' in html
    assert sum(_amounts(html, "data-amount")) == Decimal("35.00")
    assert _amounts(html, "data-total") == [Decimal("35.00")]


def test_a_stores_orders_page_adds_up_to_its_revenue(chain):  # noqa: F811
    response = _hq().get(f"/boss/stores/{chain['store_a'].pk}/orders/")

    html = response.content.decode()
    assert response.status_code == 200
    assert sum(_amounts(html, "data-revenue")) == Decimal("50.00") == _amounts(html, "data-total")[0]
    credits = _hq().get(f"/boss/stores/{chain['store_a'].pk}/credits/").content.decode()
    assert sum(_amounts(credits, "data-amount")) == Decimal("5.00") == _amounts(credits, "data-total")[0]


def test_the_store_page_lists_its_teams_and_employees(chain):  # noqa: F811
    html = _client(chain["manager_a"]).get(f"/boss/stores/{chain['store_a'].pk}/").content.decode()

    assert f'data-employee="{chain["a1"].pk}" data-credited="35.00"' in html
    assert f'data-employee="{chain["a2"].pk}" data-credited="10.00"' in html
    assert f'data-team="{chain["front"].pk}" data-credited="45.00"' in html


def test_a_manager_is_kept_to_their_store_and_a_clerk_is_refused(chain):  # noqa: F811
    manager = _client(chain["manager_a"])

    html = manager.get("/boss/").content.decode()
    assert f'data-location="{chain["store_a"].pk}"' in html
    assert f'data-location="{chain["store_b"].pk}"' not in html
    assert manager.get(f"/boss/employees/{chain['b1'].pk}/").status_code == 404
    assert manager.get(f"/boss/stores/{chain['store_b'].pk}/orders/").status_code == 404
    assert _client(chain["a1"]).get("/boss/").status_code == 403
    assert Client().get("/boss/").status_code == 302  # to the sign-in page


@pytest.mark.parametrize(
    "params", [{"since": "2026-02-30"}, {"since": "2026-02-01", "until": "2026-01-01"}, {"period": "year"}]
)
def test_a_bad_period_shows_today_with_a_message(chain, params):  # noqa: F811
    response = _hq().get("/boss/", params)

    assert response.status_code == 422
    assert 'role="alert"' in response.content.decode()
