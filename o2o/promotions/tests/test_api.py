"""Promotions through the API: marketers create, preview and switch them; customers and counters
get the same price for the same cart; orders carry "promotion:<id>" lines; bad input is a 4xx
with nothing written; a timed price's per-member limit holds across orders."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from o2o.access.actors import SYSTEM
from o2o.core.errors import DomainError
from o2o.inventory.services import receive_stock
from o2o.pricing.cart import CartLine, price_cart
from o2o.pricing.claims import PlacedOrder
from o2o.promotions.models import MemberUsage, Promotion, PromotionTier, UsageClaim
from o2o.promotions.services import claim_timed_units
from o2o.promotions.tests.given import promotion
from o2o.staff.models import Role
from o2o.testing.api import ApiClient, as_member, as_staff, problem_code
from o2o.testing.factories import EmployeeFactory, SKUFactory

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def marketer():
    return as_staff(EmployeeFactory(role=Role.MARKETER, home_location=None))


@pytest.fixture
def tea(store):
    sku = SKUFactory(price=D("50.00"))
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=sku.pk, quantity=20)
    return sku


def _tiers_body(**changes) -> dict:
    body = {
        "name": "满100减10",
        "kind": "spend_tiers",
        "starts_at": (timezone.now() - timedelta(hours=1)).isoformat(),
        "tiers": [{"threshold": "100.00", "amount_off": "10.00"}, {"threshold": "200.00", "amount_off": "25.00"}],
    }
    return body | changes


def _quote(client, store, sku, quantity, channel="app", fulfilment="pickup"):
    body = {"channel": channel, "fulfilment": fulfilment, "location_id": store.pk,
            "lines": [{"sku_id": sku.pk, "quantity": quantity}]}  # fmt: skip
    response = client.post("orders/quote", body)
    assert response.status_code == 200, response.content
    return response.json()


def test_a_marketer_creates_a_promotion_and_switches_it_on(marketer, store, tea, member):
    created = marketer.post("promotions", _tiers_body())
    assert created.status_code == 201, created.content
    promotion_id = created.json()["id"]
    assert created.json()["terms"] == "满100.00减10.00; 满200.00减25.00"
    assert _quote(as_member(member), store, tea, 2)["discount_total"] == "0.00"  # not active yet

    switched = marketer.post(f"promotions/{promotion_id}/active", {"active": True})

    assert switched.status_code == 200 and switched.json()["is_active"] is True
    assert _quote(as_member(member), store, tea, 2)["discount_total"] == "10.00"
    assert [p["id"] for p in marketer.get("promotions").json()] == [promotion_id]
    marketer.post(f"promotions/{promotion_id}/active", {"active": False})
    assert _quote(as_member(member), store, tea, 2)["discount_total"] == "0.00"


@pytest.mark.parametrize(
    "changes",
    [
        {"tiers": []},  # spend tiers without tiers
        {"tiers": [{"threshold": "10.00", "amount_off": "10.00"}]},  # saves all it asks to spend
        {"tiers": [{"threshold": "100.00", "amount_off": "20.00"}, {"threshold": "200.00", "amount_off": "15.00"}]},
        {"tiers": [{"threshold": "100.00", "amount_off": "10.00"}, {"threshold": "100.00", "amount_off": "15.00"}]},
        {"percent": "10"},  # a term of another kind
        {"kind": "category_percent", "tiers": [], "percent": "100"},
        {"kind": "category_percent", "tiers": [], "percent": "10"},  # no category or SKU to take it off
        {"kind": "buy_n_get_m", "tiers": [], "buy_quantity": 3},  # M missing
        {"kind": "buy_n_get_m", "tiers": [], "buy_quantity": 0, "free_quantity": 1},
        {"kind": "bundle_price", "tiers": [], "bundle": [{"sku_id": 999999, "quantity": 2}], "price": "10.00"},
        {"kind": "timed_price", "tiers": [], "price": "9.90", "sku_ids": [1]},  # no end
        {"kind": "no_such_kind"},
        {"priority": 50},  # outside the promotions band
        {"priority": True},
        {"ends_at": (timezone.now() - timedelta(days=1)).isoformat()},  # ends before it starts
        {"starts_at": "2026-01-01T00:00:00"},  # no time zone
        {"store_ids": [999999]},
        {"campaign_id": 999999},
        {"name": ""},
    ],
)
def test_bad_promotions_are_refused_and_nothing_is_written(marketer, changes):
    response = marketer.post("promotions", _tiers_body(**changes))

    assert 400 <= response.status_code < 500, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert Promotion.objects.count() == 0 and PromotionTier.objects.count() == 0


def test_a_clerk_or_a_member_may_not_create_promotions(store, member):
    for client in (as_staff(EmployeeFactory(home_location=store)), as_member(member), ApiClient()):
        assert client.post("promotions", _tiers_body()).status_code in (401, 403)
    assert Promotion.objects.count() == 0


def test_switching_an_unknown_promotion_is_a_404(marketer):
    response = marketer.post("promotions/999999/active", {"active": True})

    assert response.status_code == 404 and problem_code(response) == "not_found"


def test_a_preview_prices_a_sample_cart_with_the_draft_and_saves_nothing(marketer, store, tea):
    draft = {"name": "第二件半价", "kind": "buy_n_get_m", "starts_at": timezone.now().isoformat(),
             "buy_quantity": 1, "free_quantity": 1, "sku_ids": [tea.pk]}  # fmt: skip
    body = {"promotion": draft, "channel": "pos", "location_id": store.pk, "lines": [{"sku_id": tea.pk, "quantity": 3}]}

    response = marketer.post("promotions/preview", body)

    assert response.status_code == 200, response.content
    assert response.json()["payable"] == "100.00"
    assert response.json()["lines"][0]["discounts"][0]["label"] == "第二件半价"
    assert Promotion.objects.count() == 0


def test_the_app_and_the_counter_price_a_cart_alike_unless_the_promotion_is_channel_scoped(store, tea, member):
    clerk = as_staff(EmployeeFactory(home_location=store))
    promotion("spend_tiers", tiers=[(D(100), D(10))])
    app, pos = _quote(as_member(member), store, tea, 3), _quote(clerk, store, tea, 3, "pos", "in_store")
    assert app["payable"] == pos["payable"] == "140.00"
    assert app["lines"] == pos["lines"]

    promotion("buy_n_get_m", buy_quantity=2, free_quantity=1, sku_ids=[tea.pk], channel_scope="online", priority=150)

    assert _quote(as_member(member), store, tea, 3)["payable"] == "90.00"  # 150 - 50 free = 100 -> 10 off
    assert _quote(clerk, store, tea, 3, "pos", "in_store")["payable"] == "140.00"


def test_an_order_shows_each_promotion_discount_line_with_its_name(store, tea, member):
    tiers = promotion("spend_tiers", name="满100减10", tiers=[(D(100), D(10))])
    body = {"channel": "app", "fulfilment": "pickup", "location_id": store.pk,
            "lines": [{"sku_id": tea.pk, "quantity": 2}]}  # fmt: skip

    placed = as_member(member).post("orders", body)

    assert placed.status_code == 201, placed.content
    order = as_member(member).get(f"orders/{placed.json()['id']}").json()
    assert order["total"] == "90.00"
    assert [(d["label"], d["amount"], d["rule_ref"], d["source"]) for d in order["lines"][0]["discounts"]] == [
        ("满100减10", "10.00", f"promotion:{tiers.pk}", "promotion")
    ]


def test_anyone_reads_what_applies_now_on_a_channel_at_a_store(store, other_store, tea):
    promotion("spend_tiers", name="满100减10", tiers=[(D(100), D(10))])
    promotion("category_percent", name="门店九折", percent=D(10), sku_ids=[tea.pk], store_ids=[store.pk])
    promotion("buy_n_get_m", name="线下买二送一", buy_quantity=2, free_quantity=1, channel_scope="in_store")
    promotion("category_percent", name="未开始", percent=D(10), sku_ids=[tea.pk],
              starts_at=timezone.now() + timedelta(days=1))  # fmt: skip

    here = ApiClient().get("promotions/active", channel="app", location_id=store.pk)
    there = ApiClient().get("promotions/active", channel="app", location_id=other_store.pk)

    assert here.status_code == 200
    assert [(p["name"], p["terms"]) for p in here.json()] == [("满100减10", "满100.00减10.00"),
                                                              ("门店九折", "减10%")]  # fmt: skip
    assert [p["name"] for p in there.json()] == ["满100减10"]
    assert ApiClient().get("promotions/active", channel="nowhere").status_code == 422


def _order(member, store, sku, quantity):
    body = {"channel": "app", "fulfilment": "pickup", "location_id": store.pk,
            "lines": [{"sku_id": sku.pk, "quantity": quantity}]}  # fmt: skip
    return as_member(member).post("orders", body)


def test_a_timed_price_limit_per_member_holds_across_orders_and_comes_back_on_cancel(store, tea, member):
    promo = promotion("timed_price", price=D("39.90"), sku_ids=[tea.pk], per_member_limit=2)

    first = _order(member, store, tea, 1)
    second = _order(member, store, tea, 3)  # one unit left at the timed price, two at the list price

    assert first.json()["total"] == "39.90"
    assert second.json()["total"] == "139.90"
    assert MemberUsage.objects.get(promotion=promo, member=member).units == 2
    third = _order(member, store, tea, 1)
    assert third.json()["total"] == "50.00"  # the limit is used up: list price

    cancelled = as_member(member).post(f"orders/{first.json()['id']}/cancel")
    assert cancelled.status_code == 200, cancelled.content
    assert MemberUsage.objects.get(promotion=promo, member=member).units == 1
    assert UsageClaim.objects.get(order_id=first.json()["id"]).released is True
    assert _order(member, store, tea, 1).json()["total"] == "39.90"


def test_units_priced_before_a_racing_order_used_the_limit_are_refused_at_the_claim(store, tea, member):
    promo = promotion("timed_price", price=D("39.90"), sku_ids=[tea.pk], per_member_limit=2)
    priced = price_cart(lines=[CartLine(tea.pk, 2)], channel="app", location_id=store.pk, member=member,
                        fulfilment="pickup")  # fmt: skip
    assert priced.discount_total == D("20.20")  # both units at the timed price: nothing used yet
    assert _order(member, store, tea, 1).status_code == 201  # meanwhile another order takes one unit

    with pytest.raises(DomainError) as refused:
        claim_timed_units(
            PlacedOrder(order_id=10**9, member_id=member.pk, channel="app", selling_location_id=store.pk,
                        fulfilment_location_id=store.pk, priced=priced, coupon_ids=(), offer="")
        )  # fmt: skip

    assert refused.value.code == "promotion_limit_reached" and refused.value.status == 409
    assert MemberUsage.objects.get(promotion=promo, member=member).units == 1
    assert not UsageClaim.objects.filter(order_id=10**9).exists()
