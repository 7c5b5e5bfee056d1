"""The order money model through the API: list price, discount lines and net on every line; the
order's subtotal, discounts, delivery fee and total; refunds of the net, unit by unit, to the fen;
the database refusing dishonest sums; the audit catching sums across rows."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from o2o.access.actors import SYSTEM
from o2o.inventory.services import receive_stock
from o2o.members.models import MemberLevel
from o2o.orders import audit as orders_audit
from o2o.orders.models import Order, OrderLine, OrderLineDiscount, OrderState
from o2o.payments import audit as payments_audit
from o2o.payments.models import Payment, Refund
from o2o.staff.models import Role
from o2o.testing.api import ApiClient, as_member, as_staff, problem_code
from o2o.testing.factories import EmployeeFactory, MemberFactory, SKUFactory
from o2o.testing.journeys import pay_online

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def gold():
    return MemberLevel.objects.create(code="gold", name="Gold", rank=2, min_growth=1000, discount_percent=D("10"))


@pytest.fixture
def gold_member(gold):
    return MemberFactory(level=gold)


@pytest.fixture
def odd(store):
    """3.33 a unit: three of them are 9.99, and 10% of that rounds."""
    sku = SKUFactory(price=D("3.33"))
    receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=20, actor=SYSTEM)
    return sku


@pytest.fixture
def tea(store):
    sku = SKUFactory(price=D("12.50"))
    receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=20, actor=SYSTEM)
    return sku


@pytest.fixture
def manager(store):
    return EmployeeFactory(home_location=store, role=Role.STORE_MANAGER)


def body(store, *lines, fulfilment="pickup", **extra):
    return {
        "channel": "app",
        "fulfilment": fulfilment,
        "location_id": store.pk,
        "lines": [{"sku_id": sku.pk, "quantity": quantity} for sku, quantity in lines],
        **({"delivery_address": "上海市黄浦区人民大道 1 号"} if fulfilment == "delivery" else {}),
        **extra,
    }


def place(member, store, *lines, fulfilment="pickup") -> dict:
    response = as_member(member).post("orders", body(store, *lines, fulfilment=fulfilment))
    assert response.status_code == 201, response.content
    return response.json()


def handed_over(order_id: int, clerk) -> Order:
    order = pay_online(Order.objects.get(pk=order_id))
    redeemed = as_staff(clerk).post("pickup/redeem", {"code": order.pickup_voucher.code})
    assert redeemed.status_code == 200, redeemed.content
    return order


def test_the_member_level_shows_as_a_discount_line_on_the_order(store, gold_member, odd, tea):
    order = place(gold_member, store, (odd, 3), (tea, 1))

    # 9.99 - 10% (0.999 -> 1.00) = 8.99; 12.50 - 1.25 = 11.25
    assert [
        (line["unit_price"], line["line_total"], line["discounts"], line["discount_total"], line["net_amount"])
        for line in order["lines"]
    ] == [
        (
            "3.33",
            "9.99",
            [
                {
                    "source": "level",
                    "label": "Gold会员价",
                    "amount": "1.00",
                    "rule_ref": "level:gold",
                    "campaign_id": None,
                }
            ],
            "1.00",
            "8.99",
        ),
        (
            "12.50",
            "12.50",
            [
                {
                    "source": "level",
                    "label": "Gold会员价",
                    "amount": "1.25",
                    "rule_ref": "level:gold",
                    "campaign_id": None,
                }
            ],
            "1.25",
            "11.25",
        ),
    ]
    assert (order["subtotal"], order["discount_total"], order["delivery_fee"], order["total"]) == (
        "22.49", "2.25", "0.00", "20.24"
    )  # fmt: skip
    assert OrderLineDiscount.objects.filter(line__order_id=order["id"], source="level").count() == 2
    assert orders_audit.order_money() == []


def test_an_order_without_discounts_has_no_discount_rows(store, member, tea):
    order = place(member, store, (tea, 2))

    assert (order["subtotal"], order["discount_total"], order["total"]) == ("25.00", "0.00", "25.00")
    assert order["lines"][0]["discounts"] == [] and order["lines"][0]["net_amount"] == "25.00"
    assert not OrderLineDiscount.objects.exists()


def test_returning_a_discounted_line_unit_by_unit_pays_back_its_net_to_the_fen(store, gold_member, odd, clerk, manager):
    order = handed_over(place(gold_member, store, (odd, 3))["id"], clerk)
    line = order.lines.get()
    assert line.net_amount == D("8.99")

    refunds = []
    for _unit in range(3):
        response = as_staff(manager).post(
            f"orders/{order.pk}/returns", {"lines": [{"line_id": line.pk, "quantity": 1}], "reason": "changed mind"}
        )
        assert response.status_code == 200, response.content
        refunds.append(Refund.objects.order_by("-pk").first().amount)

    # round(8.99/3) = 3.00, round(17.98/3) - 3.00 = 2.99, 8.99 - 5.99 = 3.00
    assert refunds == [D("3.00"), D("2.99"), D("3.00")]
    order.refresh_from_db()
    assert (order.state, order.refunded_total, order.total) == (OrderState.REFUNDED, D("8.99"), D("8.99"))
    assert Payment.objects.get(order=order).refunded_amount == D("8.99")
    assert orders_audit.run() == [] and payments_audit.run() == []


def test_a_delivery_order_pays_the_fee_and_gets_it_back_only_with_the_last_return(store, member, tea, manager):
    placed = place(member, store, (tea, 2), fulfilment="delivery")
    assert (placed["subtotal"], placed["delivery_fee"], placed["total"]) == ("25.00", "8.00", "33.00")
    order = pay_online(Order.objects.get(pk=placed["id"]))
    for step in ("dispatch", "delivered"):
        assert as_staff(manager).post(f"orders/{order.pk}/{step}").status_code == 200
    line = order.lines.get()

    first = as_staff(manager).post(
        f"orders/{order.pk}/returns", {"lines": [{"line_id": line.pk, "quantity": 1}], "reason": "x"}
    )
    assert first.json()["refunded_total"] == "12.50"
    last = as_staff(manager).post(
        f"orders/{order.pk}/returns", {"lines": [{"line_id": line.pk, "quantity": 1}], "reason": "x"}
    )

    assert (last.json()["state"], last.json()["refunded_total"]) == ("refunded", "33.00")
    assert [r.amount for r in Refund.objects.order_by("pk")] == [D("12.50"), D("20.50")]
    assert orders_audit.run() == [] and payments_audit.run() == []


def test_cancelling_a_paid_delivery_before_dispatch_returns_the_total_with_the_fee(store, member, tea):
    placed = place(member, store, (tea, 1), fulfilment="delivery")
    order = pay_online(Order.objects.get(pk=placed["id"]))

    response = as_member(member).post(f"orders/{order.pk}/cancel")

    assert response.status_code == 200, response.content
    assert (response.json()["state"], response.json()["refunded_total"]) == ("refunded", "20.50")
    assert Refund.objects.get().amount == D("20.50")


def test_a_quote_prices_the_cart_as_placing_it_does_and_writes_nothing(store, gold_member, odd, tea):
    cart = body(store, (odd, 3), (tea, 1), fulfilment="delivery")

    quoted = as_member(gold_member).post("orders/quote", cart)

    assert quoted.status_code == 200, quoted.content
    assert not Order.objects.exists()
    quote = quoted.json()
    assert (quote["subtotal"], quote["discount_total"], quote["delivery_fee"], quote["payable"]) == (
        "22.49", "2.25", "8.00", "28.24"
    )  # fmt: skip
    assert [(line["net"], line["discounts"][0]["label"]) for line in quote["lines"]] == [
        ("8.99", "Gold会员价"),
        ("11.25", "Gold会员价"),
    ]
    placed = as_member(gold_member).post("orders", cart).json()
    assert placed["total"] == quote["payable"]


def test_an_anonymous_quote_gets_public_list_prices_only(store, odd):
    quoted = ApiClient().post("orders/quote", body(store, (odd, 3)))
    assert quoted.status_code == 200, quoted.content
    assert (quoted.json()["discount_total"], quoted.json()["payable"]) == ("0.00", "9.99")

    at_the_counter = ApiClient().post("orders/quote", body(store, (odd, 3), channel="pos", fulfilment="in_store"))
    naming_a_member = ApiClient().post("orders/quote", body(store, (odd, 3), member_phone="+8613800000000"))
    assert (at_the_counter.status_code, problem_code(at_the_counter)) == (403, "forbidden")
    assert (naming_a_member.status_code, naming_a_member.json()["discount_total"]) == (200, "0.00")


@pytest.mark.parametrize(
    "change",
    [
        {"lines": []},
        {"lines": [{"sku_id": 0, "quantity": 1}]},
        {"lines": [{"sku_id": 1, "quantity": 0}]},
        {"channel": "fax"},
        {"fulfilment": "teleport"},
        {"location_id": "SH001"},
    ],
)
def test_a_bad_quote_is_a_4xx_problem(store, odd, member, change):
    response = as_member(member).post("orders/quote", {**body(store, (odd, 1)), **change})

    assert 400 <= response.status_code < 500
    assert response["Content-Type"] == "application/problem+json"


def test_a_quote_for_an_unknown_sku_or_store_says_so(store, odd, member):
    unknown_sku = as_member(member).post(
        "orders/quote", body(store, (odd, 1)) | {"lines": [{"sku_id": 999999, "quantity": 1}]}
    )
    unknown_store = as_member(member).post("orders/quote", body(store, (odd, 1)) | {"location_id": 999999})

    assert (unknown_sku.status_code, problem_code(unknown_sku)) == (422, "unknown_sku")
    assert unknown_store.status_code == 404


def refused(update) -> bool:
    try:
        with transaction.atomic():
            update()
    except IntegrityError:
        return True
    return False


def test_the_database_refuses_dishonest_sums(store, gold_member, odd):
    order_id = place(gold_member, store, (odd, 3))["id"]
    orders = Order.objects.filter(pk=order_id)
    line = OrderLine.objects.get(order_id=order_id)
    lines = OrderLine.objects.filter(pk=line.pk)
    discount = OrderLineDiscount.objects.filter(line=line)

    assert refused(lambda: orders.update(total=D("9.99")))  # total must be subtotal - discounts + fee
    assert refused(lambda: orders.update(discount_total=D("0.00")))
    assert refused(lambda: orders.update(delivery_fee=D("-1.00"), total=D("7.99")))
    assert refused(lambda: orders.update(discount_total=D("10.00"), total=D("-0.01")))
    assert refused(lambda: lines.update(net_amount=D("9.99")))  # net must be gross - discounts
    assert refused(lambda: lines.update(discount_total=D("10.00"), net_amount=D("-0.01")))
    assert refused(lambda: lines.update(discount_total=D("-1.00"), net_amount=D("10.99")))
    assert refused(lambda: discount.update(amount=D("0.00")))
    assert refused(lambda: discount.update(source="bribe"))
    assert not refused(lambda: orders.update(delivery_fee=D("8.00"), total=D("16.99")))


def test_the_audit_finds_sums_that_do_not_add_up_across_rows(store, gold_member, odd, tea):
    order_id = place(gold_member, store, (odd, 3), (tea, 1))["id"]
    assert orders_audit.order_money() == []
    first = OrderLine.objects.filter(order_id=order_id).order_by("pk").first()

    # a discount row changed without its line, and a line's gross changed without the order
    OrderLineDiscount.objects.filter(line=first).update(amount=D("0.50"))
    OrderLine.objects.filter(pk=first.pk).update(quantity=4, line_total=D("13.32"), net_amount=D("12.32"))

    assert sorted(f.check for f in orders_audit.order_money()) == ["line_discounts_sum", "order_lines_sum"]


def test_an_order_costs_one_query_more_to_read_only_when_it_has_discounts(store, member, gold_member, odd, tea):
    plain = place(member, store, (odd, 3), (tea, 1))["id"]
    discounted = place(gold_member, store, (odd, 3), (tea, 1))["id"]

    def queries(who, order_id) -> int:
        client = as_member(who)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"orders/{order_id}").status_code == 200
        return len(captured)

    assert queries(gold_member, discounted) == queries(member, plain) + 1


def counter_sale(store, *lines, manual_discount=None) -> dict:
    body = {
        "channel": "pos",
        "fulfilment": "in_store",
        "location_id": store.pk,
        "lines": [{"sku_id": sku.pk, "quantity": quantity} for sku, quantity in lines],
    }
    return body | ({"manual_discount": manual_discount} if manual_discount else {})


def test_a_store_manager_gives_a_manual_discount_spread_over_the_lines(store, manager, odd, tea):
    body = counter_sale(store, (odd, 3), (tea, 1), manual_discount={"amount": "2.00", "reason": "scratched box"})

    response = as_staff(manager).post("orders", body)

    assert response.status_code == 201, response.content
    order = response.json()
    # 2.00 over 9.99 and 12.50 in proportion: 0.89 + 1.11
    assert [(line["discounts"], line["net_amount"]) for line in order["lines"]] == [
        (
            [
                {
                    "source": "manual",
                    "label": "手工折扣：scratched box",
                    "amount": "0.89",
                    "rule_ref": "manual",
                    "campaign_id": None,
                }
            ],
            "9.10",
        ),
        (
            [
                {
                    "source": "manual",
                    "label": "手工折扣：scratched box",
                    "amount": "1.11",
                    "rule_ref": "manual",
                    "campaign_id": None,
                }
            ],
            "11.39",
        ),
    ]
    assert (order["discount_total"], order["total"]) == ("2.00", "20.49")


def test_a_clerk_cannot_give_a_manual_discount_and_nothing_is_written(store, clerk, odd):
    body = counter_sale(store, (odd, 1), manual_discount={"amount": "1.00", "reason": "friend"})

    response = as_staff(clerk).post("orders", body)

    assert (response.status_code, problem_code(response)) == (403, "forbidden")
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    "discount",
    [
        {"amount": "10.00", "reason": "more than the goods"},
        {"amount": "0.00", "reason": "nothing"},
        {"amount": "-1.00", "reason": "a surcharge"},
        {"amount": "0.001", "reason": "a tenth of a fen"},
        {"amount": "1.00", "reason": ""},
        {"amount": "abc", "reason": "x"},
    ],
)
def test_a_bad_manual_discount_is_a_4xx_and_nothing_is_written(store, manager, odd, discount):
    response = as_staff(manager).post("orders", counter_sale(store, (odd, 2), manual_discount=discount))

    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert not Order.objects.exists()


def test_a_manual_discount_is_for_counter_sales_only(store, member, odd):
    online = {**body(store, (odd, 1)), "manual_discount": {"amount": "1.00", "reason": "please"}}

    response = as_member(member).post("orders", online)

    assert (response.status_code, problem_code(response)) == (422, "invalid")
    assert not Order.objects.exists()
