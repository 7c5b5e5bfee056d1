"""Segment rules, one by one, through the API's live count (GET /marketing/segments/preview) and
saved segments; bad rules are 422 problem+json and save nothing."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from o2o.access.actors import SYSTEM, actor_for_user
from o2o.inventory.services import receive_stock
from o2o.marketing.models import Segment
from o2o.members.models import MemberLevel
from o2o.orders.models import Order
from o2o.payments.services import take_in_store_payment
from o2o.staff.models import Role
from o2o.testing.api import ApiClient, problem_code
from o2o.testing.factories import CategoryFactory, EmployeeFactory, MemberFactory, ProductFactory, SKUFactory
from o2o.testing.journeys import paid_pickup_order, place_counter_sale

pytestmark = pytest.mark.django_db


@pytest.fixture
def marketer():
    return EmployeeFactory(role=Role.MARKETER, home_location=None)


@pytest.fixture
def api(marketer):
    return ApiClient(user=marketer.user)


def _count(api, rules) -> int:
    response = api.get("marketing/segments/preview", rules=json.dumps(rules))
    assert response.status_code == 200, response.content
    return response.json()["members"]


def _online(member, store, sku=None, days_ago: int = 0, price="10.00") -> Order:
    sku = sku or SKUFactory(price=Decimal(price))
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=sku.pk, quantity=5)
    order = paid_pickup_order(member=member, store=store, sku=sku)
    Order.objects.filter(pk=order.pk).update(paid_at=timezone.now() - timedelta(days=days_ago))
    return order


def _in_store(member, clerk, days_ago: int = 0, price="10.00") -> Order:
    sku = SKUFactory(price=Decimal(price))
    receive_stock(actor=SYSTEM, location_id=clerk.home_location_id, sku_id=sku.pk, quantity=5)
    order = place_counter_sale(clerk=clerk, sku=sku, member=member)
    take_in_store_payment(actor=actor_for_user(clerk.user), order=order, method="cash")
    Order.objects.filter(pk=order.pk).update(paid_at=timezone.now() - timedelta(days=days_ago))
    return order


def test_purchased_within_and_not_within(api, store):
    recent, lapsed, never = MemberFactory(), MemberFactory(), MemberFactory()
    _online(recent, store, days_ago=3)
    _online(lapsed, store, days_ago=100)

    assert _count(api, [{"kind": "purchased_within", "days": 30}]) == 1
    assert _count(api, [{"kind": "not_purchased_within", "days": 30}]) == 1  # lapsed; never bought is not
    assert _count(api, []) == 3  # never is in "everyone"
    assert never.pk


def test_an_unpaid_order_is_no_purchase(api, store):
    from o2o.testing.journeys import place_pickup_order

    sku = SKUFactory()
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=sku.pk, quantity=5)
    place_pickup_order(member=MemberFactory(), store=store, sku=sku)

    assert _count(api, [{"kind": "purchased_within", "days": 30}]) == 0


def test_spend_is_net_of_refunds_within_the_days(api, store):
    big, small, old = MemberFactory(), MemberFactory(), MemberFactory()
    _online(big, store, price="300.00", days_ago=5)
    _online(big, store, price="250.00", days_ago=10)
    refunded = _online(small, store, price="600.00", days_ago=5)
    Order.objects.filter(pk=refunded.pk).update(refunded_total=Decimal("200.00"))  # 400.00 kept
    _online(old, store, price="900.00", days_ago=400)

    assert _count(api, [{"kind": "spend_at_least", "amount": "500.00", "days": 365}]) == 1  # big: 550.00
    assert _count(api, [{"kind": "spend_at_least", "amount": "400.00", "days": 365}]) == 2
    # at most 400.00: small (400.00) and old (0 in the window) and nobody else
    assert _count(api, [{"kind": "spend_at_most", "amount": "400.00", "days": 365}]) == 2
    assert _count(api, [{"kind": "spend_at_least", "amount": "550.00", "days": 6}]) == 0  # big: 300.00 in 6 days


def test_bought_in_stores(api, store, other_store):
    here, there = MemberFactory(), MemberFactory()
    _online(here, store)
    _online(there, other_store)

    assert _count(api, [{"kind": "bought_in_stores", "location_ids": [store.pk]}]) == 1
    assert _count(api, [{"kind": "bought_in_stores", "location_ids": [store.pk, other_store.pk]}]) == 2


def test_bought_category_includes_its_children(api, store):
    drinks = CategoryFactory()
    tea = CategoryFactory(parent=drinks)
    tea_buyer, other = MemberFactory(), MemberFactory()
    _online(tea_buyer, store, sku=SKUFactory(product=ProductFactory(category=tea)))
    _online(other, store)

    assert _count(api, [{"kind": "bought_category", "category_id": drinks.pk}]) == 1
    assert _count(api, [{"kind": "bought_category", "category_id": tea.pk}]) == 1


def test_channel_online_only_in_store_only_or_both(api, store, clerk):
    online, offline, both = MemberFactory(), MemberFactory(), MemberFactory()
    _online(online, store)
    _in_store(offline, clerk)
    _online(both, store)
    _in_store(both, clerk)

    assert _count(api, [{"kind": "channel", "value": "online"}]) == 1
    assert _count(api, [{"kind": "channel", "value": "in_store"}]) == 1
    assert _count(api, [{"kind": "channel", "value": "both"}]) == 1


def test_level_registration_and_consent(api):
    gold = MemberLevel.objects.create(code="gold", name="金卡", rank=2, min_growth=1000)
    MemberFactory(level=gold, marketing_consent=True, marketing_consent_at=timezone.now())
    new = MemberFactory()
    old = MemberFactory()
    type(old).objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=90))

    assert _count(api, [{"kind": "level", "level_ids": [gold.pk]}]) == 1
    assert _count(api, [{"kind": "registered_within", "days": 30}]) == 2
    assert _count(api, [{"kind": "marketing_consent", "value": True}]) == 1
    assert _count(api, [{"kind": "marketing_consent", "value": False}]) == 2
    assert new.pk


def test_rules_combine_with_and_and_skip_deleted_members(api, store):
    both = MemberFactory(marketing_consent=True, marketing_consent_at=timezone.now())
    only_bought = MemberFactory()
    gone = MemberFactory(marketing_consent=True, marketing_consent_at=timezone.now())
    for member in (both, only_bought, gone):
        _online(member, store)
    type(gone).objects.filter(pk=gone.pk).update(anonymised_at=timezone.now())

    rules = [{"kind": "purchased_within", "days": 30}, {"kind": "marketing_consent", "value": True}]
    assert _count(api, rules) == 1


def test_segment_is_saved_with_its_live_count_and_no_member_data(api, store):
    buyer = MemberFactory()
    _online(buyer, store)

    response = api.post(
        "marketing/segments", {"name": "近30天购买", "rules": [{"kind": "purchased_within", "days": 30}]}
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["members"] == 1
    assert body["rules"] == [{"kind": "purchased_within", "days": 30}]
    assert buyer.phone not in response.content.decode()
    assert api.get(f"marketing/segments/{body['id']}").json()["members"] == 1


@pytest.mark.parametrize(
    "rules",
    [
        [{"kind": "nope"}],
        [{"kind": "purchased_within"}],
        [{"kind": "purchased_within", "days": 0}],
        [{"kind": "purchased_within", "days": "30"}],
        [{"kind": "purchased_within", "days": True}],
        [{"kind": "spend_at_least", "amount": "1.234", "days": 30}],
        [{"kind": "spend_at_least", "amount": "NaN", "days": 30}],
        [{"kind": "spend_at_least", "amount": -1, "days": 30}],
        [{"kind": "bought_in_stores", "location_ids": []}],
        [{"kind": "bought_in_stores", "location_ids": ["1"]}],
        [{"kind": "channel", "value": "phone"}],
        [{"kind": "marketing_consent", "value": 1}],
        [{"kind": "level", "level_ids": [2**63]}],
        ["purchased_within"],
    ],
)
def test_bad_rules_are_422_and_nothing_is_saved(api, rules):
    preview = api.get("marketing/segments/preview", rules=json.dumps(rules))
    saved = api.post("marketing/segments", {"name": "坏规则", "rules": rules})

    assert preview.status_code == 422 and problem_code(preview) == "invalid"
    assert saved.status_code == 422, saved.content
    assert Segment.objects.count() == 0


def test_preview_of_text_that_is_not_json_is_422(api):
    response = api.get("marketing/segments/preview", rules="[{")

    assert response.status_code == 422
    assert problem_code(response) == "invalid"


def test_a_clerk_may_not_count_or_create_segments(clerk):
    client = ApiClient(user=clerk.user)

    preview = client.get("marketing/segments/preview", rules="[]")
    created = client.post("marketing/segments", {"name": "x", "rules": []})

    assert preview.status_code == 403
    assert created.status_code == 403
    assert Segment.objects.count() == 0


def test_updating_a_segment_changes_its_rules(api, store):
    _online(MemberFactory(), store, days_ago=40)
    segment = api.post("marketing/segments", {"name": "a", "rules": [{"kind": "purchased_within", "days": 30}]}).json()

    response = api.post(
        f"marketing/segments/{segment['id']}", {"name": "b", "rules": [{"kind": "purchased_within", "days": 60}]}
    )

    assert response.status_code == 200
    assert response.json()["members"] == 1
    assert Segment.objects.get().name == "b"
