"""Choosing a pickup time over the API, as a customer (and an attacker) would, on a frozen clock;
the voucher's valid-from and the short pickup number at the counter."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from o2o.access.actors import SYSTEM
from o2o.inventory.models import Reservation, StockLevel
from o2o.inventory.services import receive_stock
from o2o.orders.models import Order, OrderState
from o2o.orders.services import expire_unpaid_orders, transition
from o2o.pickup.models import PickupNumberCounter, PickupSlot, PickupSlotBooking, PickupVoucher
from o2o.testing.api import ApiClient, as_member, as_staff, problem_code
from o2o.testing.factories import EmployeeFactory, LocationFactory, MemberFactory, SKUFactory
from o2o.testing.journeys import pay_online

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def shop():
    store = LocationFactory(opens_at=time(9), closes_at=time(21), preparation_minutes=15)
    return store


@pytest.fixture
def sku(shop):
    sku = SKUFactory()
    receive_stock(location_id=shop.pk, sku_id=sku.pk, quantity=20, actor=SYSTEM)
    return sku


def order_body(store, sku, pickup_at=None, fulfilment="pickup", **extra) -> dict:
    body = {
        "channel": "app",
        "fulfilment": fulfilment,
        "location_id": store.pk,
        "lines": [{"sku_id": sku.pk, "quantity": 1}],
    }
    if pickup_at is not None:
        body["pickup_at"] = pickup_at if isinstance(pickup_at, str) else pickup_at.isoformat()
    return body | extra


def place(member, body, key=None):
    headers = {"Idempotency-Key": key} if key else None
    return as_member(member).post("orders", body, headers=headers)


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


def reserved(store, sku) -> int:
    return StockLevel.objects.get(location=store, sku=sku).reserved


def test_a_chosen_time_is_kept_on_the_order_and_the_voucher_is_valid_from_it(shop, sku, member):
    with time_machine.travel(at(1, 17, 50), tick=False):
        response = place(member, order_body(shop, sku, at(1, 18, 30)))
        assert response.status_code == 201, response.content
        assert moment(response.json()["pickup_at"]) == at(1, 18, 30)
        order = pay_online(Order.objects.get(pk=response.json()["id"]))

        voucher = as_member(member).get(f"pickup/orders/{order.pk}/voucher").json()

    assert moment(voucher["valid_from"]) == at(1, 18, 30)
    assert moment(voucher["expires_at"]) == at(8, 18, 30)  # 7 days from the pickup time
    assert voucher["pickup_number"] == "A001"
    assert PickupSlot.objects.get(location=shop).booked == 1


def test_a_time_given_without_an_offset_is_the_stores_local_time(shop, sku, member):
    with time_machine.travel(at(1, 17, 50), tick=False):
        response = place(member, order_body(shop, sku, "2026-12-01T19:00:00"))

    assert response.status_code == 201, response.content
    assert moment(response.json()["pickup_at"]) == at(1, 19, 0)


@pytest.mark.parametrize(
    ("pickup_at", "why"),
    [
        ("2026-12-01T21:30:00+08:00", "after closing"),
        ("2026-12-02T08:30:00+08:00", "before opening"),
        ("2026-12-01T18:00:00+08:00", "before now + preparation"),
        ("2026-12-01T16:00:00+08:00", "in the past"),
        ("2026-12-01T18:45:00+08:00", "not on the half hour"),
        ("2026-12-01T19:00:30+08:00", "seconds off"),
        ("2026-12-04T10:00:00+08:00", "beyond the two days offered"),
        ("2099-01-01T10:00:00+08:00", "far future"),
    ],
)
def test_a_time_the_store_does_not_offer_is_refused_and_nothing_is_written(shop, sku, member, pickup_at, why):
    with time_machine.travel(at(1, 17, 50), tick=False):
        response = place(member, order_body(shop, sku, pickup_at))

    assert (response.status_code, problem_code(response)) == (422, "pickup_slot_unavailable"), why
    assert not Order.objects.exists()
    assert not PickupSlot.objects.exists()
    assert reserved(shop, sku) == 0


@pytest.mark.parametrize("garbage", ["tomorrow", "", "2026-13-01T10:00:00", 12345678])
def test_a_malformed_time_is_a_422_problem(shop, sku, member, garbage):
    body = order_body(shop, sku) | {"pickup_at": garbage}

    response = place(member, body)

    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert not Order.objects.exists()


def test_a_delivery_order_takes_no_pickup_time(shop, sku, member):
    with time_machine.travel(at(1, 17, 50), tick=False):
        response = place(member, order_body(shop, sku, at(1, 18, 30), fulfilment="delivery", delivery_address="x路1号"))

    assert (response.status_code, problem_code(response)) == (422, "invalid")
    assert not Order.objects.exists()


def test_a_full_slot_is_refused_and_no_longer_offered(shop, sku, member):
    shop.pickup_slot_capacity = 1
    shop.save()
    other = MemberFactory()
    with time_machine.travel(at(1, 17, 50), tick=False):
        first = place(member, order_body(shop, sku, at(1, 18, 30)))
        second = place(other, order_body(shop, sku, at(1, 18, 30)))
        offered = [slot["starts_at"] for slot in ApiClient().get(f"pickup/stores/{shop.pk}/slots").json()["slots"]]

    assert first.status_code == 201
    assert (second.status_code, problem_code(second)) == (409, "pickup_slot_full")
    assert Order.objects.count() == 1
    assert reserved(shop, sku) == 1  # the loser's stock was not kept
    assert offered[0] == "2026-12-01T19:00:00+08:00"
    assert (PickupSlot.objects.get().booked, PickupSlotBooking.objects.count()) == (1, 1)


def test_a_retry_with_the_same_key_books_once(shop, sku, member):
    shop.pickup_slot_capacity = 1
    shop.save()
    body = order_body(shop, sku, at(1, 18, 30))
    with time_machine.travel(at(1, 17, 50), tick=False):
        first = place(member, body, key="k-1")
        again = place(member, body, key="k-1")
        other_time = place(member, order_body(shop, sku, at(1, 19, 0)), key="k-1")

    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert (other_time.status_code, problem_code(other_time)) == (409, "idempotency_conflict")
    assert PickupSlot.objects.get().booked == 1


def test_a_cancelled_order_gives_its_place_back_once(shop, sku, member):
    shop.pickup_slot_capacity = 1
    shop.save()
    with time_machine.travel(at(1, 17, 50), tick=False):
        order_id = place(member, order_body(shop, sku, at(1, 18, 30))).json()["id"]
        cancelled = as_member(member).post(f"orders/{order_id}/cancel")
        again = as_member(member).post(f"orders/{order_id}/cancel")
        other = place(MemberFactory(), order_body(shop, sku, at(1, 18, 30)))

    assert cancelled.status_code == 200
    assert again.status_code == 409
    assert other.status_code == 201
    assert PickupSlot.objects.get().booked == 1
    assert PickupSlotBooking.objects.filter(released_at__isnull=False).count() == 1


def test_an_order_left_unpaid_gives_its_place_back_when_it_expires(shop, sku, member):
    shop.pickup_slot_capacity = 2
    shop.save()
    with time_machine.travel(at(1, 17, 50), tick=False):
        place(member, order_body(shop, sku, at(1, 18, 30)))
    with time_machine.travel(at(1, 18, 20), tick=False):
        assert expire_unpaid_orders() == 1

    assert PickupSlot.objects.get().booked == 0
    assert Reservation.objects.get().state == Reservation.State.RELEASED


def test_without_a_time_the_voucher_is_valid_at_once(shop, sku, member):
    with time_machine.travel(at(1, 17, 50), tick=False):
        order = pay_online(Order.objects.get(pk=place(member, order_body(shop, sku)).json()["id"]))
        voucher = PickupVoucher.objects.get(order=order)

    assert order.pickup_at is None
    assert voucher.valid_from == at(1, 17, 50)
    assert voucher.expires_at == at(8, 17, 50)
    assert not PickupSlot.objects.exists()


def paid_order(member, store, sku, pickup_at=None) -> Order:
    response = place(member, order_body(store, sku, pickup_at))
    assert response.status_code == 201, response.content
    return pay_online(Order.objects.get(pk=response.json()["id"]))


def test_the_counter_refuses_a_hand_over_before_the_time_unless_the_order_is_ready(shop, sku, member):
    employee = EmployeeFactory(home_location=shop)
    with time_machine.travel(at(1, 17, 50), tick=False):
        clerk = as_staff(employee)
        order = paid_order(member, shop, sku, at(1, 18, 30))
        code = order.pickup_voucher.code
        assert order.state == OrderState.PAID  # prepared by the store first (o2o.preparation)
        early = clerk.post("pickup/redeem", {"code": code})
        assert (early.status_code, problem_code(early)) == (409, "voucher_not_yet_valid")
        assert "from 18:30" in early.json()["detail"]
        assert PickupVoucher.objects.get(order=order).state == PickupVoucher.State.ISSUED
        transition(order=order, to_state=OrderState.READY_FOR_PICKUP)  # staff finished early

        handed_over = clerk.post("pickup/redeem", {"code": code})

    assert handed_over.status_code == 200, handed_over.content
    assert handed_over.json()["pickup_number"] == "A001"
    assert Order.objects.get(pk=order.pk).state == OrderState.PICKED_UP


def test_short_numbers_count_per_store_and_pickup_day(shop, sku, member):
    other_store = LocationFactory(opens_at=time(9), closes_at=time(21))
    receive_stock(location_id=other_store.pk, sku_id=sku.pk, quantity=5, actor=SYSTEM)
    with time_machine.travel(at(1, 17, 50), tick=False):
        today = [paid_order(member, shop, sku).pickup_voucher.display_number for _ in range(3)]
        elsewhere = paid_order(member, other_store, sku).pickup_voucher.display_number
        tomorrow = paid_order(member, shop, sku, at(2, 10, 0)).pickup_voucher

    assert today == ["A001", "A002", "A003"]
    assert elsewhere == "A001"
    assert (tomorrow.display_number, tomorrow.pickup_day.isoformat()) == ("A001", "2026-12-02")
    assert PickupNumberCounter.objects.get(location=shop, day=at(1, 0).date()).last == 3


def test_the_counter_looks_todays_number_up_at_its_own_store_only(shop, sku, member):
    other_store = LocationFactory()
    clerk, other_clerk = EmployeeFactory(home_location=shop), EmployeeFactory(home_location=other_store)
    with time_machine.travel(at(1, 17, 50), tick=False):
        mine, theirs = as_staff(clerk), as_staff(other_clerk)
        order = paid_order(member, shop, sku)
        found = mine.post("pickup/verify", {"code": "a001"})
        wide = mine.post("pickup/verify", {"code": "Ａ００１"})
        elsewhere = theirs.post("pickup/verify", {"code": "A001"})
        unknown = mine.post("pickup/verify", {"code": "A002"})
        by_number = mine.post("pickup/redeem", {"code": "A001"})  # handing over takes the customer's code
    with time_machine.travel(at(2, 10, 0), tick=False):
        next_day = as_staff(clerk).post("pickup/verify", {"code": "A001"})

    assert found.status_code == 200
    assert (found.json()["order_id"], found.json()["pickup_number"]) == (order.pk, "A001")
    assert wide.status_code == 200
    assert (elsewhere.status_code, problem_code(elsewhere)) == (404, "not_found")
    assert (unknown.status_code, problem_code(unknown)) == (404, "not_found")
    assert (by_number.status_code, problem_code(by_number)) == (404, "not_found")
    assert (next_day.status_code, problem_code(next_day)) == (404, "not_found")
    assert PickupVoucher.objects.get(order=order).state == PickupVoucher.State.ISSUED


def test_the_pickup_day_follows_the_local_clock_not_utc(shop, sku, member):
    # 00:30 local on 2 December is still 1 December in UTC
    shop.opens_at, shop.closes_at = time(18), time(2)
    shop.save()
    with time_machine.travel(at(2, 0, 10), tick=False):
        voucher = paid_order(member, shop, sku).pickup_voucher

    assert voucher.pickup_day.isoformat() == "2026-12-02"
    assert voucher.valid_from - at(2, 0, 10) == timedelta(0)
