"""The owner's view through GET /api/v1/boss/..., on a small chain whose figures are worked out by hand.

Price 12.50 on every channel; the default touchpoint matrix (docs/attribution.md). Today:
- A1 (store A, team Front) sells 2 at the counter, no member: cashier 80% + the missing acquiring
  employee's 20% redirected to the owner = 25.00 to A1; later 1 unit comes back: -12.50.
- A2 (store A, team Front) sells 1 to a member A1 acquired: A2 10.00 (80%), A1 2.50 (20%).
- B1 (store B, another region) sells 1: 12.50 to B1.
- A member (no acquiring employee) orders 2 through A1's share link, picked up at store A, paid
  online: A1 20.00 (70% + the missing 10%), store A 5.00 (fulfilling store, 20%).
Credited: A1 35.00, A2 10.00, B1 12.50, store A's own 5.00.
Orders by selling store: A 3 orders 50.00 (12.50 after the return + 12.50 + 25.00), B 1 order 12.50.
"""

from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from o2o.access.actors import SYSTEM, actor_for_user
from o2o.inventory.services import receive_stock
from o2o.leads.services import complete_follow_up, open_customer, schedule_follow_up
from o2o.members.models import Member
from o2o.orders.models import Order
from o2o.outreach.services import record_visit
from o2o.payments.services import refund_order, take_in_store_payment
from o2o.staff.models import Role, Team
from o2o.testing.api import ApiClient, as_member, as_staff, problem_code
from o2o.testing.factories import EmployeeFactory, LocationFactory, MemberFactory, RegionFactory, SKUFactory
from o2o.testing.journeys import pay_online, place_counter_sale

pytestmark = pytest.mark.django_db


def _sale(clerk, sku, quantity: int, member=None) -> Order:
    order = place_counter_sale(clerk=clerk, sku=sku, quantity=quantity, member=member)
    take_in_store_payment(actor=actor_for_user(clerk.user), order=order, method="cash")
    order.refresh_from_db()
    return order


def _share_link_order(member, employee, store, sku, quantity: int) -> Order:
    response = as_member(member).post(
        "orders",
        {
            "channel": "share_link",
            "fulfilment": "pickup",
            "location_id": store.pk,
            "referrer_code": employee.code,
            "lines": [{"sku_id": sku.pk, "quantity": quantity}],
        },
    )
    assert response.status_code == 201, response.content
    return pay_online(Order.objects.get(pk=response.json()["id"]))


@pytest.fixture
def chain():
    region_a = RegionFactory(code="SH-HP", name="黄浦区")
    region_b = RegionFactory(code="SH-XH", name="徐汇区")
    store_a = LocationFactory(name="人民广场店", region=region_a)
    store_b = LocationFactory(name="徐家汇店", region=region_b)
    front = Team.objects.create(name="Front", location=store_a)
    a1 = EmployeeFactory(home_location=store_a, display_name="A1", team=front)
    a2 = EmployeeFactory(home_location=store_a, display_name="A2", team=front)
    b1 = EmployeeFactory(home_location=store_b, display_name="B1")
    manager_a = EmployeeFactory(home_location=store_a, role=Role.STORE_MANAGER, display_name="Manager A")
    sku = SKUFactory(price=Decimal("12.50"))
    for location in (store_a, store_b):
        receive_stock(location_id=location.pk, sku_id=sku.pk, quantity=100, actor=SYSTEM)

    returned = _sale(a1, sku, 2)
    acquired_by_a1 = MemberFactory(acquiring_location=store_a, acquiring_employee=a1)
    _sale(a2, sku, 1, member=acquired_by_a1)
    _sale(b1, sku, 1)
    _share_link_order(MemberFactory(), a1, store_a, sku, 2)
    refund_order(
        actor=actor_for_user(manager_a.user), order=returned, returned={returned.lines.get().pk: 1}, reason="size"
    )
    MemberFactory(acquiring_location=store_a)
    MemberFactory(acquiring_location=store_b, acquiring_employee=b1)
    old = MemberFactory(acquiring_location=store_a, acquiring_employee=a1)
    Member.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))
    return {
        "store_a": store_a, "store_b": store_b, "front": front, "a1": a1, "a2": a2, "b1": b1,
        "manager_a": manager_a, "region_a": region_a, "acquired_by_a1": acquired_by_a1,
    }  # fmt: skip


def _hq():
    return as_staff(EmployeeFactory(role=Role.HQ, home_location=None))


def _money(value) -> Decimal:
    return Decimal(str(value))


def _figures(row) -> tuple:
    f = row["figures"]
    return (_money(f["credited_sales"]), f["orders"], _money(f["revenue"]), f["members_acquired"])


def test_stores_show_revenue_by_selling_store_credits_and_members(chain):
    response = _hq().get("boss/stores", period="today")

    assert response.status_code == 200, response.content
    body = response.json()
    stores = {s["location_id"]: s for s in body["stores"]}
    a, b = stores[chain["store_a"].pk], stores[chain["store_b"].pk]
    # The store's own credited sales (store parties), its orders and revenue, members it acquired.
    assert _figures(a) == (Decimal("5.00"), 3, Decimal("50.00"), 2)
    assert _figures(b) == (Decimal("0.00"), 1, Decimal("12.50"), 1)
    assert _money(a["staff_credited_sales"]) == Decimal("45.00")  # A1 35.00 + A2 10.00 (+ manager 0)
    assert _money(b["staff_credited_sales"]) == Decimal("12.50")
    by_channel = {c["channel"]: (c["orders"], _money(c["revenue"])) for c in a["by_channel"]}
    assert by_channel == {"pos": (2, Decimal("25.00")), "share_link": (1, Decimal("25.00"))}
    totals = body["totals"]
    assert _money(totals["credited_sales"]) == Decimal("62.50")  # every line's net, credited once
    assert (totals["orders"], _money(totals["revenue"]), totals["members_acquired"]) == (4, Decimal("62.50"), 3)


def test_teams_add_up_their_employees(chain):
    body = _hq().get("boss/stores").json()

    teams = {t["team_id"]: t for t in body["teams"]}
    front = teams[chain["front"].pk]
    assert front["name"] == "Front"
    assert sorted(front["employee_ids"]) == sorted([chain["a1"].pk, chain["a2"].pk])
    assert _money(front["figures"]["credited_sales"]) == Decimal("45.00")
    assert front["figures"]["members_acquired"] == 1  # A1's member today (the old one is outside the period)
    no_team = teams[None]
    assert _money(no_team["figures"]["credited_sales"]) == Decimal("12.50")  # B1; the manager has none


def test_store_detail_lists_its_teams_and_employees(chain):
    response = _hq().get(f"boss/stores/{chain['store_a'].pk}", period="week")

    assert response.status_code == 200, response.content
    body = response.json()
    employees = {e["employee_id"]: e for e in body["employees"]}
    assert set(employees) == {chain["a1"].pk, chain["a2"].pk, chain["manager_a"].pk}
    a1 = employees[chain["a1"].pk]["figures"]
    assert (_money(a1["credited_sales"]), a1["orders"], a1["members_acquired"]) == (Decimal("35.00"), 3, 1)
    a2 = employees[chain["a2"].pk]["figures"]
    assert (_money(a2["credited_sales"]), a2["orders"], a2["members_acquired"]) == (Decimal("10.00"), 1, 0)
    assert employees[chain["manager_a"].pk]["figures"]["credited_sales"] in ("0.00", 0, "0")
    assert [t["name"] for t in body["teams"]] == ["Front", ""]
    assert _figures(body["store"]) == (Decimal("5.00"), 3, Decimal("50.00"), 2)


def _all_pages(client, path, **params) -> list[dict]:
    rows, cursor = [], None
    while True:
        page = client.get(path, **params, **({"cursor": cursor} if cursor else {}))
        assert page.status_code == 200, page.content
        body = page.json()
        rows += body["results"]
        if not body["next"]:
            return rows
        cursor = parse_qs(urlsplit(body["next"]).query)["cursor"][0]


def test_the_credited_lines_behind_an_employee_add_up_to_their_figure(chain):
    client = _hq()
    a1 = chain["a1"]
    figure = client.get(f"boss/employees/{a1.pk}", period="month").json()["employee"]["figures"]

    rows = _all_pages(client, f"boss/employees/{a1.pk}/orders", period="month", page_size=2)

    assert sum(_money(r["amount"]) for r in rows) == _money(figure["credited_sales"]) == Decimal("35.00")
    assert len(rows) == figure["credited_lines"]
    assert len({r["order_id"] for r in rows}) == figure["orders"] == 3
    assert {r["kind"] for r in rows} == {"credit", "reversal"}
    assert sum(_money(r["amount"]) for r in rows if r["kind"] == "reversal") == Decimal("-12.50")


def test_the_rows_behind_a_store_add_up_to_its_figures(chain):
    client = _hq()
    store = chain["store_a"]
    figures = client.get(f"boss/stores/{store.pk}").json()["store"]["figures"]

    orders = _all_pages(client, f"boss/stores/{store.pk}/orders", page_size=2)
    credits = _all_pages(client, f"boss/stores/{store.pk}/credits")

    assert len(orders) == figures["orders"] == 3
    assert sum(_money(o["revenue"]) for o in orders) == _money(figures["revenue"]) == Decimal("50.00")
    assert sum(_money(c["amount"]) for c in credits) == _money(figures["credited_sales"]) == Decimal("5.00")
    assert len(credits) == figures["credited_lines"]


def test_a_range_of_past_days_leaves_todays_figures_out(chain):
    today = timezone.localdate()
    params = {"since": (today - timedelta(days=7)).isoformat(), "until": (today - timedelta(days=1)).isoformat()}

    body = _hq().get("boss/stores", **params).json()

    assert body["window"]["period"] == "range"
    assert (body["totals"]["orders"], _money(body["totals"]["credited_sales"])) == (0, Decimal("0.00"))


def test_a_regional_supervisor_sees_their_region_only(chain):
    supervisor = EmployeeFactory(role=Role.REGIONAL_SUPERVISOR, home_location=None, region=chain["region_a"])
    client = as_staff(supervisor)

    body = client.get("boss/stores").json()

    assert [s["location_id"] for s in body["stores"]] == [chain["store_a"].pk]
    assert client.get(f"boss/stores/{chain['store_b'].pk}").status_code == 404
    assert client.get(f"boss/employees/{chain['b1'].pk}").status_code == 404
    assert client.get(f"boss/employees/{chain['a1'].pk}").status_code == 200


def test_a_store_manager_sees_their_store_and_not_another_stores_employee(chain):
    client = as_staff(chain["manager_a"])

    body = client.get("boss/stores").json()

    assert [s["location_id"] for s in body["stores"]] == [chain["store_a"].pk]
    assert _money(body["totals"]["credited_sales"]) == Decimal("50.00")
    b1 = chain["b1"]
    for path in (f"boss/employees/{b1.pk}", f"boss/employees/{b1.pk}/orders", f"boss/stores/{chain['store_b'].pk}"):
        response = client.get(path)
        assert (response.status_code, problem_code(response)) == (404, "not_found"), path
    assert client.get(f"boss/employees/{chain['a2'].pk}/orders").status_code == 200


def test_clerks_members_and_anonymous_callers_are_refused(chain):
    clerk = as_staff(chain["a1"])
    for path in ("boss/stores", f"boss/stores/{chain['store_a'].pk}", f"boss/employees/{chain['a1'].pk}/orders"):
        response = clerk.get(path)
        assert (response.status_code, problem_code(response)) == (403, "forbidden"), path
    assert as_member(MemberFactory()).get("boss/stores").status_code == 403
    assert ApiClient().get("boss/stores").status_code == 401


@pytest.mark.parametrize(
    "params",
    [
        {"since": "2026-13-01"},
        {"since": "yesterday"},
        {"until": "2026-01-01"},
        {"since": "2026-02-01", "until": "2026-01-01"},
        {"since": "2024-01-01", "until": "2026-01-01"},
        {"period": "year"},
        {"period": "today", "since": "2026-01-01"},
    ],
)
def test_bad_periods_are_a_422(chain, params):
    response = _hq().get("boss/stores", **params)

    assert (response.status_code, problem_code(response)) == (422, "invalid"), params


def test_bad_ids_and_cursors_are_4xx_never_500(chain):
    client = _hq()

    assert client.get("boss/employees/0").status_code == 422
    assert client.get("boss/employees/99999999").status_code == 404
    assert client.get("boss/stores/99999999").status_code == 404
    response = client.get(f"boss/employees/{chain['a1'].pk}/orders", cursor="not-a-cursor")
    assert (response.status_code, problem_code(response)) == (400, "invalid_cursor")


def test_share_link_visits_and_follow_ups_show_per_employee_and_add_up_to_the_team(chain):
    a1 = chain["a1"]
    for cookie in ("visitor-1", "visitor-2"):
        record_visit(employee=a1, visitor_cookie=cookie, path="/shop/e/")
    me = actor_for_user(a1.user)
    lead = open_customer(actor=me, member_id=chain["acquired_by_a1"].pk)
    first = schedule_follow_up(actor=me, lead_id=lead.pk, due_on=timezone.localdate(), kind="call")
    schedule_follow_up(actor=me, lead_id=lead.pk, due_on=timezone.localdate() + timedelta(days=3), kind="visit")
    complete_follow_up(actor=me, follow_up_id=first.pk)
    client = _hq()

    figures = client.get(f"boss/employees/{a1.pk}").json()["employee"]["figures"]
    team = {t["team_id"]: t for t in client.get("boss/stores").json()["teams"]}[chain["front"].pk]["figures"]

    assert (figures["share_visits"], figures["share_visitors"], figures["share_orders"]) == (2, 2, 1)
    assert _money(figures["share_revenue"]) == Decimal("25.00")
    assert _money(figures["conversion"]) == Decimal("0.5")
    assert (figures["tasks_assigned"], figures["tasks_done"], figures["tasks_overdue"]) == (2, 1, 0)
    assert (team["share_visitors"], team["tasks_assigned"], team["tasks_done"]) == (2, 2, 1)
    assert client.get(f"boss/employees/{chain['a2'].pk}").json()["employee"]["figures"]["conversion"] is None


def _queries(client, path) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


def test_the_pages_are_a_fixed_handful_of_queries_however_many_employees(chain):
    client = _hq()
    paths = ["boss/stores", f"boss/stores/{chain['store_a'].pk}", f"boss/employees/{chain['a1'].pk}"]
    before = [_queries(client, path) for path in paths]

    for _ in range(20):
        EmployeeFactory(home_location=chain["store_a"], team=Team.objects.create(name="T", location=chain["store_a"]))
    LocationFactory.create_batch(5, region=chain["region_a"])
    after = [_queries(client, path) for path in paths]

    assert after == before
    assert max(after) <= 26  # auth, then one GROUP BY per figure and app (docs/boss.md; +4 customer ratings)
