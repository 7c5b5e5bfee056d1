"""Redeeming a coupon through POST /orders, quoting with it, and giving it back when the order is
cancelled unpaid or refunded in full; an attacker's coupon ids are refused with nothing written."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from o2o.access.actors import SYSTEM, actor_for_user
from o2o.coupons.models import Coupon, CouponState
from o2o.inventory.models import StockLevel
from o2o.inventory.services import receive_stock
from o2o.orders.models import Order, OrderLineDiscount, OrderState
from o2o.pricing.models import Campaign
from o2o.testing.api import as_member, as_staff, problem_code
from o2o.testing.factories import EmployeeFactory, MemberFactory, SKUFactory
from o2o.testing.journeys import pay_online

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def sku(store):
    sku = SKUFactory(price=D("30.00"))
    receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=10, actor=SYSTEM)
    return sku


def order_body(store, sku, coupon_ids, *, channel="app", quantity=2):
    return {
        "channel": channel,
        "fulfilment": "pickup",
        "location_id": store.pk,
        "lines": [{"sku_id": sku.pk, "quantity": quantity}],
        "coupon_ids": coupon_ids,
    }


def state_of(coupon) -> tuple:
    coupon.refresh_from_db()
    return coupon.state, coupon.order_id


def test_an_order_with_a_coupon_carries_the_discount_line_and_uses_the_coupon(member, store, sku, coupon_of):
    campaign = Campaign.objects.create(name="Spring", starts_at=timezone.now())
    coupon = coupon_of(member, amount=D("10.00"), campaign_id=campaign.pk)

    response = as_member(member).post("orders", order_body(store, sku, [coupon.pk]))

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["subtotal"], body["discount_total"], body["total"]) == ("60.00", "10.00", "50.00")
    [discount] = body["lines"][0]["discounts"]
    assert (discount["source"], discount["amount"], discount["rule_ref"], discount["campaign_id"]) == (
        "coupon",
        "10.00",
        f"coupon:{coupon.pk}",
        campaign.pk,
    )
    assert discount["label"].endswith("10 off")
    assert OrderLineDiscount.objects.get().campaign_id == campaign.pk
    assert state_of(coupon) == (CouponState.USED, body["id"])
    assert as_member(member).get(f"me/coupons/{coupon.pk}").json()["state"] == "used"


def test_a_quote_shows_the_coupon_without_using_it(member, store, sku, coupon_of):
    coupon = coupon_of(member, kind="percent_off", percent=20, cap=D("5.00"))

    response = as_member(member).post("orders/quote", order_body(store, sku, [coupon.pk]))

    assert response.status_code == 200, response.content
    assert (response.json()["discount_total"], response.json()["payable"]) == ("5.00", "55.00")
    assert state_of(coupon) == (CouponState.AVAILABLE, None)


def test_cancelling_the_unpaid_order_makes_the_coupon_available_again(member, store, sku, coupon_of):
    coupon = coupon_of(member)
    order_id = as_member(member).post("orders", order_body(store, sku, [coupon.pk])).json()["id"]

    response = as_member(member).post(f"orders/{order_id}/cancel")

    assert response.json()["state"] == OrderState.CANCELLED
    assert state_of(coupon) == (CouponState.AVAILABLE, None)
    again = as_member(member).post("orders", order_body(store, sku, [coupon.pk]))
    assert again.status_code == 201 and again.json()["discount_total"] == "10.00"


@pytest.mark.parametrize(("on_return", "after"), [("restore", CouponState.AVAILABLE), ("void", CouponState.VOID)])
def test_a_full_refund_restores_or_voids_the_coupon_as_its_template_says(
    member, store, sku, coupon_of, on_return, after
):
    coupon = coupon_of(member, on_return=on_return)
    order_id = as_member(member).post("orders", order_body(store, sku, [coupon.pk])).json()["id"]
    pay_online(Order.objects.get(pk=order_id))

    response = as_member(member).post(f"orders/{order_id}/cancel")

    assert response.json()["state"] == OrderState.REFUNDED, response.content
    assert state_of(coupon) == (after, None)


def test_a_partial_return_keeps_the_coupon_used(member, store, sku, coupon_of):
    from o2o.pickup.models import PickupVoucher
    from o2o.pickup.services import redeem_pickup_voucher

    coupon = coupon_of(member)
    order_id = as_member(member).post("orders", order_body(store, sku, [coupon.pk])).json()["id"]
    order = pay_online(Order.objects.get(pk=order_id))
    manager = EmployeeFactory(home_location=store, role="store_manager")
    voucher = PickupVoucher.objects.get(order=order)
    redeem_pickup_voucher(actor=actor_for_user(manager.user), presented=voucher.code)
    line_id = order.lines.get().pk

    partial = as_staff(manager).post(
        f"orders/{order_id}/returns", {"lines": [{"line_id": line_id, "quantity": 1}], "reason": "broken"}
    )
    assert partial.status_code == 200, partial.content
    assert state_of(coupon) == (CouponState.USED, order_id)

    rest = as_staff(manager).post(
        f"orders/{order_id}/returns", {"lines": [{"line_id": line_id, "quantity": 1}], "reason": "broken"}
    )
    assert rest.json()["state"] == OrderState.REFUNDED
    assert state_of(coupon) == (CouponState.AVAILABLE, None)


def _refused_with_nothing_written(response, store, sku, code="coupon_unavailable"):
    assert response.status_code in (409, 422), response.content
    assert problem_code(response) == code
    assert Order.objects.count() == 0
    assert OrderLineDiscount.objects.count() == 0
    assert StockLevel.objects.get(location=store, sku=sku).reserved == 0


def test_someone_elses_coupon_is_refused_and_nothing_is_written(member, store, sku, coupon_of):
    theirs = coupon_of(MemberFactory())

    response = as_member(member).post("orders", order_body(store, sku, [theirs.pk]))

    _refused_with_nothing_written(response, store, sku)
    assert state_of(theirs) == (CouponState.AVAILABLE, None)
    assert as_member(member).get(f"me/coupons/{theirs.pk}").status_code == 404


def test_a_used_coupon_is_refused(member, store, sku, coupon_of):
    coupon = coupon_of(member)
    Coupon.objects.filter(pk=coupon.pk).update(state=CouponState.USED, order_id=999, used_at=timezone.now())

    _refused_with_nothing_written(as_member(member).post("orders", order_body(store, sku, [coupon.pk])), store, sku)
    assert state_of(coupon) == (CouponState.USED, 999)


def test_an_expired_coupon_is_refused(member, store, sku, coupon_of):
    coupon = coupon_of(member)
    Coupon.objects.filter(pk=coupon.pk).update(valid_until=timezone.now())

    _refused_with_nothing_written(as_member(member).post("orders", order_body(store, sku, [coupon.pk])), store, sku)
    assert state_of(coupon) == (CouponState.AVAILABLE, None)


def test_an_in_store_coupon_is_refused_online(member, store, sku, coupon_of):
    coupon = coupon_of(member, channel_scope="in_store")

    _refused_with_nothing_written(as_member(member).post("orders", order_body(store, sku, [coupon.pk])), store, sku)


def test_a_coupon_whose_min_spend_is_not_met_is_refused(member, store, sku, coupon_of):
    coupon = coupon_of(member, kind="threshold", amount=D("10.00"), min_spend=D("100.00"))

    _refused_with_nothing_written(as_member(member).post("orders", order_body(store, sku, [coupon.pk])), store, sku)


def test_two_coupons_on_one_order_are_refused(member, store, sku, coupon_of):
    first, second = coupon_of(member, reference="a"), coupon_of(member, reference="b")

    response = as_member(member).post("orders", order_body(store, sku, [first.pk, second.pk]))

    _refused_with_nothing_written(response, store, sku, code="invalid")
    assert state_of(first) == state_of(second) == (CouponState.AVAILABLE, None)


def test_a_counter_sale_redeems_the_members_in_store_coupon(member, store, sku, coupon_of):
    coupon = coupon_of(member, channel_scope="in_store", location_ids=[store.pk])
    clerk = EmployeeFactory(home_location=store)
    body = order_body(store, sku, [coupon.pk], channel="pos") | {"fulfilment": "in_store", "member_phone": member.phone}

    response = as_staff(clerk).post("orders", body)

    assert response.status_code == 201, response.content
    assert response.json()["total"] == "50.00"
    assert state_of(coupon) == (CouponState.USED, response.json()["id"])


def test_the_database_holds_one_coupon_per_order(member, store, sku, coupon_of):
    first, second = coupon_of(member, reference="a"), coupon_of(member, reference="b")
    order_id = as_member(member).post("orders", order_body(store, sku, [first.pk])).json()["id"]

    with pytest.raises(IntegrityError), transaction.atomic():
        Coupon.objects.filter(pk=second.pk).update(state=CouponState.USED, order_id=order_id, used_at=timezone.now())
