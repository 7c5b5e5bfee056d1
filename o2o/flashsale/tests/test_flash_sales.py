"""Flash sales through the API: the opening second, the flash price line, the per-member limit,
sold out after the last unit, expiry giving units back, bad input and attackers."""

import re
from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from o2o.access.actors import SYSTEM
from o2o.flashsale.models import FlashSale, FlashSaleBuyer, FlashSaleUnit
from o2o.inventory.models import StockLevel
from o2o.inventory.services import receive_stock
from o2o.orders.models import Order, OrderLineDiscount, OrderState
from o2o.orders.services import expire_unpaid_orders
from o2o.pricing.models import Campaign, in_control_group
from o2o.staff.models import Role
from o2o.testing.api import as_member, as_staff, problem_code
from o2o.testing.factories import EmployeeFactory, MemberFactory, SKUFactory
from o2o.testing.journeys import pay_online

pytestmark = pytest.mark.django_db


@pytest.fixture
def phone():
    return SKUFactory(price=Decimal("1999.00"))


@pytest.fixture
def marketer():
    return EmployeeFactory(role=Role.MARKETER)


def create(marketer, store, sku, **terms) -> dict:
    now = timezone.now()
    body = {
        "sku_id": sku.pk,
        "location_id": store.pk,
        "price": "999.00",
        "quantity": 3,
        "per_member_limit": 1,
        "starts_at": (now - timedelta(minutes=1)).isoformat(),
        "ends_at": (now + timedelta(hours=1)).isoformat(),
    } | terms
    response = as_staff(marketer).post("flash-sales", body)
    assert response.status_code == 201, response.content
    return response.json()


@pytest.fixture
def sale(marketer, store, phone) -> dict:
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=phone.pk, quantity=50)
    return create(marketer, store, phone)


def buy(member, sale_id: int, **body):
    return as_member(member).post(f"flash-sales/{sale_id}/orders", body)


def reserved(store, sku) -> int:
    return StockLevel.objects.get(location=store, sku=sku).reserved


def test_a_marketer_creates_a_sale_cut_into_units(sale, phone, store):
    assert sale["quantity"] == 3 and sale["units_left"] == 3 and sale["sold_out"] is False
    assert sale["price"] == "999.00" and sale["sku_id"] == phone.pk and sale["location_id"] == store.pk
    assert FlashSaleUnit.objects.filter(sale_id=sale["id"], order_id__isnull=True).count() == 3


def test_a_retried_creation_with_the_same_key_cuts_the_units_once(marketer, store, phone):
    now = timezone.now()
    body = {"sku_id": phone.pk, "location_id": store.pk, "price": "999.00", "quantity": 3, "per_member_limit": 1,
            "starts_at": now.isoformat(), "ends_at": (now + timedelta(hours=1)).isoformat()}  # fmt: skip
    key = {"Idempotency-Key": "sale-1"}

    first = as_staff(marketer).post("flash-sales", body, headers=key)
    retry = as_staff(marketer).post("flash-sales", body, headers=key)

    assert (first.status_code, retry.status_code, retry.json()["id"]) == (201, 201, first.json()["id"])
    assert FlashSaleUnit.objects.count() == 3


def test_the_order_has_the_flash_price_line(sale, store, phone, member):
    response = buy(member, sale["id"])

    assert response.status_code == 201, response.content
    order = Order.objects.get(pk=response.json()["order_id"])
    assert order.total == Decimal("999.00") and order.subtotal == Decimal("1999.00")
    assert order.state == OrderState.PENDING_PAYMENT and order.fulfilment_location_id == store.pk
    discount = OrderLineDiscount.objects.get(line__order=order)
    assert discount.rule_ref == f"flash:{sale['id']}"
    assert (discount.amount, discount.source) == (Decimal("1000.00"), "promotion")
    assert list(FlashSaleUnit.objects.filter(order_id=order.pk).values_list("member_id", flat=True)) == [member.pk]
    assert reserved(store, phone) == 1
    assert as_member(member).get(f"flash-sales/{sale['id']}").json()["units_left"] == 2


def test_plain_post_orders_with_the_offer_is_the_same_purchase(sale, store, phone, member):
    body = {"channel": "app", "fulfilment": "pickup", "location_id": store.pk,
            "lines": [{"sku_id": phone.pk, "quantity": 1}], "offer": f"flash:{sale['id']}"}  # fmt: skip
    response = as_member(member).post("orders", body)

    assert response.status_code == 201, response.content
    assert response.json()["total"] == "999.00"
    assert FlashSaleUnit.objects.filter(order_id=response.json()["id"]).count() == 1
    assert problem_code(as_member(member).post("orders", body)) == "flash_sale_limit_reached"


def test_the_sale_opens_at_its_second(marketer, store, phone, member):
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=phone.pk, quantity=5)
    opens = (timezone.now() + timedelta(hours=1)).replace(microsecond=0)
    sale = create(marketer, store, phone, starts_at=opens.isoformat(), ends_at=(opens + timedelta(hours=1)).isoformat())

    with mock.patch("django.utils.timezone.now", return_value=opens - timedelta(microseconds=1)):
        early = buy(member, sale["id"])
    with mock.patch("django.utils.timezone.now", return_value=opens):
        on_time = buy(member, sale["id"])

    assert early.status_code == 409 and problem_code(early) == "flash_sale_not_open"
    assert on_time.status_code == 201, on_time.content


def test_before_the_opening_nothing_is_written(marketer, store, phone, member):
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=phone.pk, quantity=5)
    later = timezone.now() + timedelta(hours=1)
    sale = create(marketer, store, phone, starts_at=later.isoformat(), ends_at=(later + timedelta(hours=1)).isoformat())
    body = {"channel": "app", "fulfilment": "pickup", "location_id": store.pk,
            "lines": [{"sku_id": phone.pk, "quantity": 1}], "offer": f"flash:{sale['id']}"}  # fmt: skip

    assert problem_code(buy(member, sale["id"])) == "flash_sale_not_open"
    assert problem_code(as_member(member).post("orders", body)) == "flash_sale_not_open"
    assert Order.objects.count() == 0 and FlashSaleBuyer.objects.count() == 0 and reserved(store, phone) == 0


def test_no_member_gets_more_than_the_limit(marketer, store, phone, member):
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=phone.pk, quantity=50)
    sale = create(marketer, store, phone, quantity=10, per_member_limit=2)

    assert buy(member, sale["id"], quantity=2).status_code == 201
    third = buy(member, sale["id"], quantity=1)
    too_many = buy(MemberFactory(), sale["id"], quantity=3)

    assert problem_code(third) == "flash_sale_limit_reached" and problem_code(too_many) == "flash_sale_limit_reached"
    assert FlashSaleUnit.objects.filter(sale_id=sale["id"], order_id__isnull=False).count() == 2
    assert Order.objects.count() == 1 and reserved(store, phone) == 2


# A statement that reads or writes stock or orders (not a column that merely mentions them).
_STOCK_OR_ORDER_TABLE = re.compile(r'\b(?:FROM|JOIN|INTO|UPDATE)\s+"?(?:inventory|orders)_', re.IGNORECASE)


def test_sold_out_after_the_last_unit_and_then_from_one_read(sale, store, phone):
    for _ in range(3):
        assert buy(MemberFactory(), sale["id"]).status_code == 201
    late = MemberFactory()

    first_refusal = buy(late, sale["id"])
    client = as_member(MemberFactory())
    with CaptureQueriesContext(connection) as captured:
        answer = client.post(f"flash-sales/{sale['id']}/orders", {})

    assert problem_code(first_refusal) == "flash_sale_sold_out" and first_refusal.status_code == 409
    assert problem_code(answer) == "flash_sale_sold_out"
    assert FlashSale.objects.get(pk=sale["id"]).sold_out_at is not None
    assert not [q["sql"] for q in captured if _STOCK_OR_ORDER_TABLE.search(q["sql"])]
    assert [q["sql"] for q in captured if "flashsale_" in q["sql"]].__len__() == 1
    assert Order.objects.count() == 3 and reserved(store, phone) == 3
    assert as_member(late).get(f"flash-sales/{sale['id']}").json()["sold_out"] is True


def test_an_expired_unpaid_order_gives_its_unit_to_the_next_buyer(marketer, store, phone):
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=phone.pk, quantity=5)
    sale = create(marketer, store, phone, quantity=1)
    first, second = MemberFactory(), MemberFactory()
    order_id = buy(first, sale["id"]).json()["order_id"]
    assert problem_code(buy(second, sale["id"])) == "flash_sale_sold_out"

    assert expire_unpaid_orders(now=timezone.now() + timedelta(hours=2)) == 1

    assert Order.objects.get(pk=order_id).state == OrderState.CANCELLED
    assert FlashSale.objects.get(pk=sale["id"]).sold_out_at is None
    assert FlashSaleBuyer.objects.get(sale_id=sale["id"], member=first).bought == 0
    response = buy(second, sale["id"])
    assert response.status_code == 201, response.content
    assert FlashSaleUnit.objects.get(sale_id=sale["id"]).order_id == response.json()["order_id"]
    assert reserved(store, phone) == 1


def test_a_paid_unit_is_sold_for_good_and_a_cancel_before_payment_gives_it_back(sale, member):
    paid = Order.objects.get(pk=buy(member, sale["id"]).json()["order_id"])
    pay_online(paid)
    other = MemberFactory()
    unpaid_id = buy(other, sale["id"]).json()["order_id"]

    assert as_member(other).post(f"orders/{unpaid_id}/cancel").status_code == 200

    assert FlashSaleUnit.objects.filter(order_id=paid.pk, paid_at__isnull=False).count() == 1
    assert FlashSaleUnit.objects.filter(order_id=unpaid_id).count() == 0
    assert as_member(other).get(f"flash-sales/{sale['id']}").json()["units_left"] == 2


def test_another_sku_in_the_cart_keeps_its_list_price(sale, store, phone, member):
    case = SKUFactory(price=Decimal("59.90"))
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=case.pk, quantity=5)
    body = {"channel": "app", "fulfilment": "pickup", "location_id": store.pk, "offer": f"flash:{sale['id']}",
            "lines": [{"sku_id": phone.pk, "quantity": 1}, {"sku_id": case.pk, "quantity": 2}]}  # fmt: skip

    order = as_member(member).post("orders", body).json()

    assert order["total"] == "1118.80"  # 999.00 + 2 x 59.90
    lines = {line["sku_id"]: line for line in order["lines"]}
    assert lines[case.pk]["net_amount"] == "119.80" and lines[case.pk]["discounts"] == []


def test_the_offer_on_a_cart_without_the_sale_sku_is_refused(sale, store, member):
    case = SKUFactory(price=Decimal("59.90"))
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=case.pk, quantity=5)
    body = {"channel": "app", "fulfilment": "pickup", "location_id": store.pk, "offer": f"flash:{sale['id']}",
            "lines": [{"sku_id": case.pk, "quantity": 1}]}  # fmt: skip

    response = as_member(member).post("orders", body)

    assert response.status_code == 422 and problem_code(response) == "invalid"
    assert Order.objects.count() == 0 and FlashSaleBuyer.objects.count() == 0


def test_a_flash_order_from_another_location_is_refused(sale, other_store, phone, member):
    receive_stock(actor=SYSTEM, location_id=other_store.pk, sku_id=phone.pk, quantity=5)

    response = buy(member, sale["id"], location_id=other_store.pk)

    assert response.status_code == 422 and problem_code(response) == "location_unavailable"
    assert Order.objects.count() == 0 and reserved(other_store, phone) == 0


def test_a_counter_sale_cannot_use_the_flash_price(sale, store, phone):
    clerk = EmployeeFactory(home_location=store)
    body = {"channel": "pos", "fulfilment": "in_store", "location_id": store.pk,
            "lines": [{"sku_id": phone.pk, "quantity": 1}], "offer": f"flash:{sale['id']}"}  # fmt: skip

    response = as_staff(clerk).post("orders", body)

    assert response.status_code == 422 and problem_code(response) == "invalid"
    assert Order.objects.count() == 0


def test_a_member_held_out_by_the_campaign_is_not_offered_the_sale(marketer, store, phone):
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=phone.pk, quantity=5)
    campaign = Campaign.objects.create(name="双11", starts_at=timezone.now(), control_percent=50)
    sale = create(marketer, store, phone, campaign_id=campaign.pk)
    held_out = next(
        m for m in (MemberFactory() for _ in range(50))
        if in_control_group(campaign_id=campaign.pk, control_percent=50, member_id=m.pk)
    )  # fmt: skip

    response = buy(held_out, sale["id"])

    assert response.status_code == 403 and Order.objects.count() == 0


@pytest.mark.parametrize(
    "body",
    [{"quantity": 0}, {"quantity": -1}, {"quantity": 1.5}, {"quantity": "1"}, {"quantity": 100},
     {"channel": "pos"}, {"fulfilment": "in_store"}, {"location_id": 0}],
)  # fmt: skip
def test_bad_purchases_are_4xx_and_write_nothing(sale, member, body):
    response = buy(member, sale["id"], **body)

    assert 400 <= response.status_code < 500 and response["Content-Type"] == "application/problem+json"
    assert Order.objects.count() == 0 and FlashSaleBuyer.objects.count() == 0


def test_an_unknown_sale_is_a_404(member):
    assert buy(member, 999_999).status_code == 404
    assert as_member(member).get("flash-sales/999999").status_code == 404


@pytest.mark.parametrize(
    "terms",
    [{"price": "0"}, {"price": "-1.00"}, {"price": "9.999"}, {"quantity": 0}, {"quantity": 10_001},
     {"per_member_limit": 0}, {"per_member_limit": 4}, {"ends_at": "2020-01-01T00:00:00+08:00"},
     {"location_id": 999_999}, {"sku_id": 999_999}, {"campaign_id": 999_999}, {"quantity": True}],
)  # fmt: skip
def test_bad_sales_are_refused_and_nothing_is_created(marketer, store, phone, terms):
    now = timezone.now()
    body = {"sku_id": phone.pk, "location_id": store.pk, "price": "999.00", "quantity": 3, "per_member_limit": 1,
            "starts_at": now.isoformat(), "ends_at": (now + timedelta(hours=1)).isoformat()} | terms  # fmt: skip

    response = as_staff(marketer).post("flash-sales", body)

    assert 400 <= response.status_code < 500, response.content
    assert FlashSale.objects.count() == 0 and FlashSaleUnit.objects.count() == 0


def test_only_marketing_roles_create_sales(store, phone, member):
    now = timezone.now()
    body = {"sku_id": phone.pk, "location_id": store.pk, "price": "999.00", "quantity": 3,
            "starts_at": now.isoformat(), "ends_at": (now + timedelta(hours=1)).isoformat()}  # fmt: skip

    assert as_staff(EmployeeFactory(role=Role.CLERK, home_location=store)).post("flash-sales", body).status_code == 403
    assert as_member(member).post("flash-sales", body).status_code == 403
    assert FlashSale.objects.count() == 0


def test_the_public_list_shows_open_and_upcoming_sales(sale, marketer, store, phone, client):
    later = timezone.now() + timedelta(days=1)
    window = {"starts_at": later.isoformat(), "ends_at": (later + timedelta(hours=1)).isoformat()}
    upcoming = create(marketer, store, phone, **window)
    past = timezone.now() - timedelta(days=1)
    FlashSale.objects.create(
        sku=phone, location=store, price=Decimal("1.00"), quantity=1, starts_at=past - timedelta(days=1), ends_at=past
    )

    listed = client.get("/api/v1/flash-sales").json()

    assert [s["id"] for s in listed] == [sale["id"], upcoming["id"]]


def test_a_retry_after_the_sell_out_gets_its_order_back(sale, member):
    key = {"Idempotency-Key": "flash-retry-1"}
    first = as_member(member).post(f"flash-sales/{sale['id']}/orders", {}, headers=key)
    for _ in range(2):
        buy(MemberFactory(), sale["id"])
    assert problem_code(buy(MemberFactory(), sale["id"])) == "flash_sale_sold_out"

    retry = as_member(member).post(f"flash-sales/{sale['id']}/orders", {}, headers=key)

    assert first.status_code == retry.status_code == 201
    assert retry.json()["order_id"] == first.json()["order_id"] and Order.objects.count() == 3
