"""The storefront points page and HQ's points-and-levels page."""

from decimal import Decimal

import pytest
from django.test import Client

from o2o.access.actors import SYSTEM, actor_for_member
from o2o.inventory.services import receive_stock
from o2o.loyalty import services
from o2o.loyalty.models import CategoryPointsRule, PointsAccount, PointsEntry
from o2o.members.models import MemberLevel
from o2o.members.sessions import MEMBER_SESSION_KEY
from o2o.orders.services import LineRequest, OrderRequest, place_order
from o2o.testing.api import as_staff
from o2o.testing.factories import CategoryFactory, MemberFactory, SKUFactory
from o2o.testing.journeys import paid_pickup_order, pay_online

pytestmark = pytest.mark.django_db


def member_client(member) -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    session = client.session
    session[MEMBER_SESSION_KEY] = member.pk
    session.save()
    return client


def staff_client(employee) -> Client:
    client = Client()
    client.force_login(employee.user)
    client.cookies["django_language"] = "en"
    return client


def give(member, points: int) -> None:
    adjustment = services.Adjustment(member_id=member.pk, points=points, reason="welcome", reference=f"t-{member.pk}")
    services.adjust_points(actor=SYSTEM, adjustment=adjustment)


def test_the_points_page_shows_the_members_own_numbers(member, store, tea):
    give(member, 1250)
    give(MemberFactory(), 999)
    MemberLevel.objects.create(code="silver", name="Silver", rank=1, min_growth=1000)
    paid_pickup_order(member=member, store=store, sku=tea, quantity=2)

    page = member_client(member).get("/shop/points/")

    assert page.status_code == 200
    text = page.content.decode()
    assert '<strong data-testid="available">1250</strong>' in text
    assert "worth ¥12.50" in text
    assert "25 points pending" in text
    assert "1000 more to reach Silver" in text
    assert "999" not in text


def test_the_points_page_is_for_signed_in_members():
    page = Client().get("/shop/points/")
    assert page.status_code == 302 and "/signin" in page["Location"]


def test_hq_sees_the_liability_and_customer_service_only_the_adjustment_form(hq, cs_agent, clerk, member):
    give(member, 1234)

    as_hq = staff_client(hq).get("/hq/loyalty/")
    as_cs = staff_client(cs_agent).get("/hq/loyalty/")
    as_clerk = staff_client(clerk).get("/hq/loyalty/")

    assert as_hq.status_code == 200
    assert '<td class="num" data-testid="available">1234</td>' in as_hq.content.decode()
    assert "¥12.34" in as_hq.content.decode()
    assert as_cs.status_code == 200
    assert 'id="liability"' not in as_cs.content.decode() and 'id="adjust"' in as_cs.content.decode()
    assert 'action="/hq/loyalty/levels/"' not in as_cs.content.decode()
    assert as_clerk.status_code == 403


def test_hq_saves_a_level_and_a_category_rule_from_the_page(hq):
    client = staff_client(hq)
    category = CategoryFactory()

    saved = client.post(
        "/hq/loyalty/levels/",
        {"code": "gold", "name": "金卡", "rank": 2, "min_growth": 3000, "discount_percent": "5",
         "points_multiplier": "1.5", "free_delivery": "on"},
    )  # fmt: skip
    rule = client.post("/hq/loyalty/category-rules/", {"category": category.pk, "multiplier": "3"})

    assert (saved.status_code, rule.status_code) == (302, 302)
    level = MemberLevel.objects.get()
    assert (level.code, level.discount_percent, level.points_multiplier, level.free_delivery) == (
        "gold", Decimal("5.00"), Decimal("1.50"), True)  # fmt: skip
    assert CategoryPointsRule.objects.get().multiplier == Decimal("3.00")


def test_a_bad_level_is_a_form_error_and_nothing_is_saved(hq):
    response = staff_client(hq).post(
        "/hq/loyalty/levels/",
        {"code": "gold", "name": "金卡", "rank": 2, "min_growth": 3000, "discount_percent": "100",
         "points_multiplier": "0.5"},
    )  # fmt: skip
    assert response.status_code == 422
    assert not MemberLevel.objects.exists()


def test_customer_service_cannot_change_rules_from_the_page(cs_agent):
    response = staff_client(cs_agent).post(
        "/hq/loyalty/levels/",
        {"code": "gold", "name": "金卡", "rank": 2, "min_growth": 3000, "discount_percent": "0",
         "points_multiplier": "1"},
    )  # fmt: skip
    assert response.status_code == 403
    assert not MemberLevel.objects.exists()


def test_an_adjustment_submitted_twice_is_booked_once(cs_agent, member):
    client = staff_client(cs_agent)
    form = {"phone": member.phone, "points": 200, "reason": "late delivery", "token": "f" * 32}

    first = client.post("/hq/loyalty/adjustments/", form)
    second = client.post("/hq/loyalty/adjustments/", form)

    assert (first.status_code, second.status_code) == (302, 302)
    assert PointsAccount.objects.get(member=member).available == 200
    assert PointsEntry.objects.count() == 1


def test_an_adjustment_for_an_unknown_phone_is_a_form_error(cs_agent):
    form = {"phone": "+8613999999999", "points": 200, "reason": "late delivery", "token": "f" * 32}
    response = staff_client(cs_agent).post("/hq/loyalty/adjustments/", form)
    assert response.status_code == 404
    assert not PointsEntry.objects.exists()


def test_pending_points_name_the_order_and_leave_out_a_line_returned_in_full(member, store, tea, clerk, manager):
    kettle = SKUFactory(price=Decimal("37.50"))
    receive_stock(location_id=store.pk, sku_id=kettle.pk, quantity=5, actor=SYSTEM)
    request = OrderRequest(channel="app", fulfilment="pickup", fulfilment_location_id=store.pk,
                           lines=[LineRequest(tea.pk, 1), LineRequest(kettle.pk, 1)])  # fmt: skip
    order = pay_online(place_order(actor=actor_for_member(member), member=member, request=request))
    assert as_staff(clerk).post("pickup/redeem", {"code": order.pickup_voucher.code}).status_code == 200
    tea_line = order.lines.get(sku=tea)
    returned = as_staff(manager).post(
        f"orders/{order.pk}/returns", {"lines": [{"line_id": tea_line.pk, "quantity": 1}], "reason": "leaks"}
    )
    assert returned.status_code == 200, returned.content

    text = member_client(member).get("/shop/points/").content.decode()

    assert f"Order {order.number}" in text and "+37" in text
    assert "+0<" not in text and "+12<" not in text
