from datetime import timedelta

import pytest
from django.utils import timezone

from o2o.access.actors import SYSTEM, actor_for_user
from o2o.core.errors import DomainError
from o2o.inventory.selectors import audit_stock
from o2o.inventory.services import receive_stock
from o2o.pickup.models import PickupVoucher, VoucherAttempt
from o2o.pickup.services import redeem_pickup_voucher, undo_redemption, verify_pickup_voucher
from o2o.staff.models import Role
from o2o.testing.api import as_member, as_staff, problem_code
from o2o.testing.factories import EmployeeFactory, SKUFactory
from o2o.testing.journeys import paid_pickup_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def voucher(store, member):
    sku = SKUFactory()
    receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=5, actor=SYSTEM)
    order = paid_pickup_order(member=member, store=store, sku=sku)
    return PickupVoucher.objects.get(order=order)


def error_of(call) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call()
    return caught.value


def test_codes_are_twelve_random_digits_unique_per_voucher(store, member):
    sku = SKUFactory()
    receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=50, actor=SYSTEM)

    codes = {
        PickupVoucher.objects.get(order=paid_pickup_order(member=member, store=store, sku=sku)).code for _ in range(20)
    }

    assert len(codes) == 20
    assert all(len(code) == 12 and code.isdigit() for code in codes)


def test_a_forged_qr_payload_is_not_accepted(voucher, clerk):
    forged = voucher.code + ":tampered-signature"

    error = error_of(lambda: verify_pickup_voucher(actor=actor_for_user(clerk.user), presented=forged))

    assert error.code == "not_found"


def test_staff_who_do_not_work_a_counter_get_403(voucher, store):
    hq = as_staff(EmployeeFactory(role=Role.HQ, home_location=None))
    warehouse = as_staff(EmployeeFactory(role=Role.WAREHOUSE_CLERK, home_location=store))

    for client in (hq, warehouse):
        response = client.post("pickup/redeem", {"code": voucher.code})
        assert (response.status_code, problem_code(response)) == (403, "forbidden")
    voucher.refresh_from_db()
    assert voucher.state == "issued"


def test_failed_attempts_are_rate_limited_per_clerk_and_logged(voucher, clerk, store, settings):
    settings.O2O_VOUCHER_FAILED_ATTEMPTS = "3/minute"
    counter = as_staff(clerk)
    for guess in ["000000000001", "000000000002", "000000000003"]:
        assert counter.post("pickup/redeem", {"code": guess}).status_code == 404

    blocked = counter.post("pickup/redeem", {"code": voucher.code})  # even the right code waits now

    assert (blocked.status_code, problem_code(blocked)) == (429, "rate_limited")
    colleague = EmployeeFactory(home_location=store)
    assert as_staff(colleague).post("pickup/redeem", {"code": voucher.code}).status_code == 200
    results = list(VoucherAttempt.objects.order_by("pk").values_list("staff_id", "result"))
    assert results == [(clerk.user_id, "not_found")] * 3 + [
        (clerk.user_id, "rate_limited"),
        (colleague.user_id, "redeemed"),
    ]


def test_a_manager_undoes_a_mistaken_hand_over_within_the_window(voucher, clerk, store):
    redeem_pickup_voucher(actor=actor_for_user(clerk.user), presented=voucher.code)
    manager = EmployeeFactory(role=Role.STORE_MANAGER, home_location=store)

    clerk_try = error_of(lambda: undo_redemption(actor=actor_for_user(clerk.user), voucher_id=voucher.pk, reason="x"))
    undone = undo_redemption(actor=actor_for_user(manager.user), voucher_id=voucher.pk, reason="handed to wrong person")

    assert clerk_try.code == "forbidden"
    assert undone.state == "issued"
    assert undone.order.state == "ready_for_pickup"
    level = store.stock_levels.get()
    assert (level.on_hand, level.reserved) == (5, 1)
    assert audit_stock() == []
    assert redeem_pickup_voucher(actor=actor_for_user(clerk.user), presented=voucher.code).state == "redeemed"


def test_undo_is_refused_after_the_window(voucher, clerk, store, settings):
    redeem_pickup_voucher(actor=actor_for_user(clerk.user), presented=voucher.code)
    PickupVoucher.objects.filter(pk=voucher.pk).update(redeemed_at=timezone.now() - timedelta(minutes=11))
    manager = EmployeeFactory(role=Role.STORE_MANAGER, home_location=store)

    error = error_of(lambda: undo_redemption(actor=actor_for_user(manager.user), voucher_id=voucher.pk, reason="late"))

    assert error.code == "undo_window_passed"
    voucher.refresh_from_db()
    assert voucher.state == "redeemed"


def test_cancelling_a_paid_order_refunds_it_and_revokes_the_voucher(voucher, member, clerk, store):
    response = as_member(member).post(f"orders/{voucher.order_id}/cancel")

    assert response.json()["state"] == "refunded"
    voucher.refresh_from_db()
    assert voucher.state == "revoked"
    assert store.stock_levels.get().reserved == 0
    redeem = as_staff(clerk).post("pickup/redeem", {"code": voucher.code})
    assert problem_code(redeem) == "voucher_not_redeemable"


def test_an_expired_voucher_cannot_be_redeemed(voucher, clerk):
    PickupVoucher.objects.filter(pk=voucher.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    error = error_of(lambda: redeem_pickup_voucher(actor=actor_for_user(clerk.user), presented=voucher.code))

    assert error.code == "voucher_not_redeemable"


def test_waiting_pickups_lists_only_the_clerks_store(voucher, clerk, other_store):
    mine = as_staff(clerk).get("pickup/waiting").json()["results"]
    theirs = as_staff(EmployeeFactory(home_location=other_store)).get("pickup/waiting").json()["results"]

    assert [v["order_id"] for v in mine] == [voucher.order_id]
    assert theirs == []
