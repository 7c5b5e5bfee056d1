"""Group buys through the API: open, join, complete (orders released), fail (refunded in full)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from o2o.groupbuy import services
from o2o.groupbuy.models import Group, GroupMember, GroupState
from o2o.inventory.models import StockLevel
from o2o.orders.models import Order, OrderState
from o2o.payments.models import Refund
from o2o.pickup.models import PickupVoucher
from o2o.staff.models import Role
from o2o.testing.api import as_member, as_staff, problem_code
from o2o.testing.factories import EmployeeFactory, MemberFactory
from o2o.testing.journeys import pay_online

pytestmark = pytest.mark.django_db


def _open(member, offer, store, **headers):
    return as_member(member).post(f"group-buys/{offer.pk}/groups", {"location_id": store.pk}, headers=headers)


def _join(member, group_id, store, **body):
    return as_member(member).post(f"groups/{group_id}/join", {"location_id": store.pk, **body})


def _stock(store, sku) -> tuple[int, int]:
    level = StockLevel.objects.get(location=store, sku=sku)
    return level.on_hand, level.reserved


def _full_group(offer, store) -> tuple[int, list[Order]]:
    members = MemberFactory.create_batch(3)
    opened = _open(members[0], offer, store)
    assert opened.status_code == 201, opened.content
    group_id = opened.json()["group"]["id"]
    orders = [Order.objects.get(pk=opened.json()["order_id"])]
    for member in members[1:]:
        joined = _join(member, group_id, store)
        assert joined.status_code == 201, joined.content
        orders.append(Order.objects.get(pk=joined.json()["order_id"]))
    return group_id, orders


def test_opening_a_group_places_the_leaders_order_at_the_group_price_on_hold(member, offer, store, sku):
    response = _open(member, offer, store)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["total"] == "6.00"
    assert body["group"] | {"expires_at": None} == {
        "id": body["group"]["id"], "offer_id": offer.pk, "state": "open", "size": 3, "member_count": 1,
        "paid_count": 0, "expires_at": None, "leader": member.name[0] + "*",
        "share_path": f"/shop/groups/{body['group']['id']}/",
    }  # fmt: skip
    order = Order.objects.get(pk=body["order_id"])
    assert (order.on_hold, order.subtotal, order.discount_total, order.total) == (
        True, Decimal("10.00"), Decimal("4.00"), Decimal("6.00")
    )  # fmt: skip
    line_discount = order.lines.get().discounts.get()
    assert (line_discount.rule_ref, line_discount.amount) == (f"group:{body['group']['id']}", Decimal("4.00"))
    assert _stock(store, sku) == (20, 1)


def test_group_of_three_completes_when_the_third_pays_and_its_vouchers_become_usable(
    offer, store, django_capture_on_commit_callbacks
):
    group_id, orders = _full_group(offer, store)
    clerk = as_staff(EmployeeFactory(home_location=store))
    with django_capture_on_commit_callbacks(execute=True):
        pay_online(orders[0])
        pay_online(orders[1])

    # two paid of three: still open, the paid orders held; their vouchers cannot be redeemed
    assert Group.objects.get(pk=group_id).state == GroupState.OPEN
    voucher = PickupVoucher.objects.get(order=orders[0])
    refused = clerk.post("pickup/redeem", {"code": voucher.code})
    assert (refused.status_code, problem_code(refused)) == (409, "voucher_not_redeemable")
    voucher.refresh_from_db()
    assert voucher.state == PickupVoucher.State.ISSUED
    assert Order.objects.get(pk=orders[0].pk).state == OrderState.PAID

    with django_capture_on_commit_callbacks(execute=True):
        pay_online(orders[2])

    group = Group.objects.get(pk=group_id)
    assert (group.state, group.member_count, group.paid_count) == (GroupState.COMPLETE, 3, 3)
    assert list(Order.objects.filter(pk__in=[o.pk for o in orders]).values_list("on_hold", flat=True)) == [False] * 3
    redeemed = clerk.post("pickup/redeem", {"code": voucher.code})
    assert redeemed.status_code == 200, redeemed.content
    assert Order.objects.get(pk=orders[0].pk).state == OrderState.PICKED_UP


def test_a_fourth_joiner_of_a_group_of_three_is_refused_and_nothing_is_written(offer, store, sku):
    group_id, _orders = _full_group(offer, store)
    orders_before = Order.objects.count()

    response = _join(MemberFactory(), group_id, store)

    assert (response.status_code, problem_code(response)) == (409, "group_full")
    assert Order.objects.count() == orders_before
    assert Group.objects.get(pk=group_id).member_count == 3
    assert _stock(store, sku) == (20, 3)


def test_a_member_joining_twice_is_refused(member, offer, store):
    group_id = _open(member, offer, store).json()["group"]["id"]

    response = _join(member, group_id, store)

    assert (response.status_code, problem_code(response)) == (409, "already_in_group")
    assert GroupMember.objects.filter(group_id=group_id).count() == 1
    assert Order.objects.filter(member=member).count() == 1


def test_more_than_the_per_member_limit_is_refused(member, offer, store):
    group_id = _open(MemberFactory(), offer, store).json()["group"]["id"]

    response = _join(member, group_id, store, quantity=2)

    assert (response.status_code, problem_code(response)) == (422, "invalid")
    assert not Order.objects.filter(member=member).exists()


def test_the_group_price_is_not_had_through_a_plain_order_at_another_store(member, offer, other_store, sku):
    from o2o.access.actors import SYSTEM
    from o2o.inventory.services import receive_stock

    receive_stock(actor=SYSTEM, location_id=other_store.pk, sku_id=sku.pk, quantity=5)
    group_id = _open(MemberFactory(), offer, offer.locations.get()).json()["group"]["id"]
    body = {"channel": "app", "fulfilment": "pickup", "location_id": other_store.pk,
            "lines": [{"sku_id": sku.pk, "quantity": 1}], "offer": f"group:{group_id}"}  # fmt: skip

    response = as_member(member).post("orders", body)

    assert (response.status_code, problem_code(response)) == (422, "location_unavailable")
    assert Group.objects.get(pk=group_id).member_count == 1


def test_a_join_retried_with_the_same_key_takes_one_seat(member, offer, store):
    group_id = _open(MemberFactory(), offer, store).json()["group"]["id"]
    client = as_member(member)

    first = client.post(f"groups/{group_id}/join", {"location_id": store.pk}, headers={"Idempotency-Key": "k1"})
    again = client.post(f"groups/{group_id}/join", {"location_id": store.pk}, headers={"Idempotency-Key": "k1"})

    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json()["order_id"] == again.json()["order_id"]
    assert Group.objects.get(pk=group_id).member_count == 2


def test_a_seat_whose_order_expires_unpaid_is_freed_for_someone_else(offer, store):
    from o2o.orders.services import expire_unpaid_orders

    group_id, orders = _full_group(offer, store)
    Order.objects.filter(pk=orders[2].pk).update(payment_deadline=timezone.now() - timedelta(minutes=1))

    assert expire_unpaid_orders() == 1

    assert Group.objects.get(pk=group_id).member_count == 2
    assert _join(MemberFactory(), group_id, store).status_code == 201


def test_a_group_that_fails_refunds_every_paid_order_in_full_and_cancels_the_unpaid(offer, store, sku):
    group_id, orders = _full_group(offer, store)
    pay_online(orders[0])
    pay_online(orders[1])
    Group.objects.filter(pk=group_id).update(expires_at=timezone.now() - timedelta(seconds=1))

    assert services.close_groups() == {"failed": 1, "settled": 3, "released": 0}

    states = {o.pk: o.state for o in Order.objects.filter(pk__in=[o.pk for o in orders])}
    assert states == {orders[0].pk: "refunded", orders[1].pk: "refunded", orders[2].pk: "cancelled"}
    for paid in orders[:2]:
        refunds = Refund.objects.filter(payment__order=paid)
        assert [r.amount for r in refunds] == [Decimal("6.00")]
        assert Order.objects.get(pk=paid.pk).refunded_total == Decimal("6.00")
        assert PickupVoucher.objects.get(order=paid).state == PickupVoucher.State.REVOKED
    assert _stock(store, sku) == (20, 0)
    assert Group.objects.get(pk=group_id).state == GroupState.FAILED

    # run again: nothing more is refunded
    assert services.close_groups() == {"failed": 0, "settled": 0, "released": 0}
    assert Refund.objects.filter(payment__order__in=orders).count() == 2


def test_a_failed_group_takes_no_members(member, offer, store):
    group_id = _open(MemberFactory(), offer, store).json()["group"]["id"]
    Group.objects.filter(pk=group_id).update(expires_at=timezone.now() - timedelta(seconds=1))

    response = _join(member, group_id, store)

    assert (response.status_code, problem_code(response)) == (409, "group_closed")
    assert not Order.objects.filter(member=member).exists()


def test_the_public_views_show_counts_and_masked_leaders_only(member, offer, store):
    member.name = "王小芳"
    member.save(update_fields=["name"])
    group_id = _open(member, offer, store).json()["group"]["id"]
    anonymous = as_member(MemberFactory()).__class__()

    detail = anonymous.get(f"group-buys/{offer.pk}")

    assert detail.status_code == 200, detail.content
    assert [(g["id"], g["leader"], g["member_count"]) for g in detail.json()["open_groups"]] == [(group_id, "王*", 1)]
    assert member.phone not in detail.content.decode()
    assert anonymous.get(f"groups/{group_id}").json()["leader"] == "王*"


def test_marketers_create_offers_and_members_cannot(offer, store, sku):
    now = timezone.now()
    body = {"name": "双人团", "sku_id": sku.pk, "group_price": "7.50", "group_size": 2, "time_limit_hours": 12,
            "starts_at": now.isoformat(), "ends_at": (now + timedelta(days=1)).isoformat(),
            "location_ids": [store.pk]}  # fmt: skip

    created = as_staff(EmployeeFactory(role=Role.MARKETER)).post("group-buys", body)
    refused = as_member(MemberFactory()).post("group-buys", body)
    bad = as_staff(EmployeeFactory(role=Role.MARKETER)).post("group-buys", body | {"group_size": 1})

    assert created.status_code == 201, created.content
    assert (created.json()["group_price"], created.json()["location_ids"]) == ("7.50", [store.pk])
    assert refused.status_code == 403
    assert bad.status_code == 422


def test_my_groups_show_the_members_seats(member, offer, store):
    group_id = _open(member, offer, store).json()["group"]["id"]

    response = as_member(member).get("groups/mine")

    assert response.status_code == 200, response.content
    assert [(s["group"]["id"], s["order_state"], s["on_hold"]) for s in response.json()] == [
        (group_id, "pending_payment", True)
    ]
