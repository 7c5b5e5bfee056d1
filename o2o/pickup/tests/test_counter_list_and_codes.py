"""What the counter types and sees: full-width digits from a Chinese input method read as the same
code; the waiting list is paginated and costs the same few queries however long it is."""

import pytest

from o2o.access.actors import SYSTEM
from o2o.inventory.services import receive_stock
from o2o.pickup.models import PickupVoucher, VoucherAttempt
from o2o.testing.api import as_staff
from o2o.testing.factories import SKUFactory
from o2o.testing.journeys import paid_pickup_order

pytestmark = pytest.mark.django_db

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@pytest.fixture
def tea(store):
    sku = SKUFactory()
    receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=50, actor=SYSTEM)
    return sku


def test_a_code_typed_in_full_width_digits_with_separators_redeems_and_burns_no_attempt(store, member, tea, clerk):
    # given a paid pickup order and its code as a Chinese IME types it: full-width, in groups
    code = paid_pickup_order(member=member, store=store, sku=tea).pickup_voucher.code
    typed = f"{code[:4]}　{code[4:8]}－{code[8:]}".translate(FULL_WIDTH)  # ideographic space, full-width dash

    # when the clerk redeems it
    response = as_staff(clerk).post("pickup/redeem", {"code": typed})

    # then it is the same code: handed over, and no failed attempt was counted
    assert (response.status_code, response.json()["state"]) == (200, "redeemed")
    assert list(VoucherAttempt.objects.values_list("result", flat=True)) == [VoucherAttempt.Result.REDEEMED]


@pytest.mark.parametrize("spacing", ["{a} {b} {c}", "{a}-{b}-{c}", " {a}{b}{c} ", "{a}‐{b}—{c}"])
def test_spaces_and_dashes_between_the_groups_are_ignored(store, member, tea, clerk, spacing):
    code = paid_pickup_order(member=member, store=store, sku=tea).pickup_voucher.code

    response = as_staff(clerk).post("pickup/verify", {"code": spacing.format(a=code[:4], b=code[4:8], c=code[8:])})

    assert response.status_code == 200, response.content
    assert VoucherAttempt.objects.get().result == VoucherAttempt.Result.FOUND


def test_the_waiting_list_takes_the_same_queries_for_3_or_12_pickups(
    store, member, tea, clerk, django_assert_max_num_queries
):
    counter = as_staff(clerk)
    for _ in range(3):
        paid_pickup_order(member=member, store=store, sku=tea, quantity=2)
    with django_assert_max_num_queries(8) as few:
        assert len(counter.get("pickup/waiting").json()["results"]) == 3

    for _ in range(9):
        paid_pickup_order(member=member, store=store, sku=tea)
    with django_assert_max_num_queries(len(few.captured_queries)):
        waiting = counter.get("pickup/waiting").json()["results"]

    assert len(waiting) == 12
    assert all(len(voucher["lines"]) == 1 for voucher in waiting)


def test_the_waiting_list_comes_a_page_at_a_time(store, member, tea, clerk):
    orders = [paid_pickup_order(member=member, store=store, sku=tea) for _ in range(5)]
    counter = as_staff(clerk)

    first = counter.get("pickup/waiting", page_size=3).json()
    rest = counter.client.get(first["next"], headers=counter.headers).json()

    assert [v["order_id"] for v in first["results"]] == [o.pk for o in orders[:3]]
    assert [v["order_id"] for v in rest["results"]] == [o.pk for o in orders[3:]]
    assert rest["next"] is None
    assert PickupVoucher.objects.count() == 5
