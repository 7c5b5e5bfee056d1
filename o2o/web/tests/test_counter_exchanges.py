"""换货 at the counter: handed-over units swapped for another variant of the same product at the same
price, on the returns page (Django test client) and over the API; stock, history and money checked."""

from decimal import Decimal

import pytest
from django.db.models import Sum
from django.test import Client
from django.urls import reverse

from o2o.access.actors import SYSTEM, actor_for_user
from o2o.inventory.models import StockLevel, StockMove
from o2o.inventory.selectors import audit_stock
from o2o.inventory.services import receive_stock
from o2o.orders.audit import stock_from_business_facts
from o2o.orders.exchanges import exchange_goods
from o2o.orders.models import Exchange, Order, OrderTransition
from o2o.payments.models import Payment, Refund
from o2o.pickup.models import PickupVoucher
from o2o.pickup.services import redeem_pickup_voucher
from o2o.staff.models import Role
from o2o.testing.api import ApiClient, problem_code
from o2o.testing.factories import EmployeeFactory, SKUFactory
from o2o.testing.journeys import paid_pickup_order
from o2o.testing.races import domain_errors, requires_postgres, run_together, values

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(store):
    return EmployeeFactory(role=Role.STORE_MANAGER, home_location=store)


@pytest.fixture
def desk(manager) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(manager.user)
    return client


@pytest.fixture
def shirts(store):
    """A T-shirt in M, L and S at 59.00, in XL at 69.00; socks (another product) at 59.00. S is not in stock."""
    m = SKUFactory(name="T-shirt M", code="TS-M", price=Decimal("59.00"))
    skus = {
        "M": m,
        "L": SKUFactory(product=m.product, name="T-shirt L", code="TS-L", price=Decimal("59.00")),
        "S": SKUFactory(product=m.product, name="T-shirt S", code="TS-S", price=Decimal("59.00")),
        "XL": SKUFactory(product=m.product, name="T-shirt XL", code="TS-XL", price=Decimal("69.00")),
        "socks": SKUFactory(name="Socks", code="SOCKS", price=Decimal("59.00")),
    }
    for size in ("M", "L", "XL", "socks"):
        receive_stock(location_id=store.pk, sku_id=skus[size].pk, quantity=5, actor=SYSTEM)
    return skus


def handed_over(store, member, sku, quantity: int = 2) -> Order:
    order = paid_pickup_order(member=member, store=store, sku=sku, quantity=quantity)
    clerk = EmployeeFactory(home_location=store)
    redeem_pickup_voucher(actor=actor_for_user(clerk.user), presented=PickupVoucher.objects.get(order=order).code)
    order.refresh_from_db()
    return order


def on_hand(store, sku) -> int:
    return StockLevel.objects.get(location=store, sku=sku).on_hand


def exchange_form(order: Order, to_sku, quantity: int = 1, key: str = "k" * 32) -> dict:
    return {"line": order.lines.get().pk, "quantity": quantity, "to_sku": to_sku.pk, "key": key}


def post_exchange(client: Client, order: Order, to_sku, **kwargs):
    return client.post(reverse("web:counter-returns-exchange", args=[order.pk]), exchange_form(order, to_sku, **kwargs))


def written() -> tuple:
    """Everything an exchange would write: refused exchanges leave all of it as it was."""
    return (
        Exchange.objects.count(),
        StockMove.objects.count(),
        OrderTransition.objects.count(),
        list(StockLevel.objects.order_by("pk").values_list("on_hand", "reserved")),
        Refund.objects.count(),
        Payment.objects.count(),
    )


def test_a_manager_exchanges_size_m_for_l_at_the_same_price(desk, store, member, manager, shirts):
    order = handed_over(store, member, shirts["M"])
    page = desk.get(reverse("web:counter-returns"), {"number": order.number})
    assert page.context["exchange_form"].offered
    offered = dict(page.context["exchange_form"].fields["to_sku"].choices)
    assert set(offered) == {shirts["L"].pk, shirts["XL"].pk}  # on the shelf; socks are another product
    payments, refunds = Payment.objects.count(), Refund.objects.count()

    response = post_exchange(desk, order, shirts["L"])

    assert response.status_code == 200
    assert "Exchanged: 1 × T-shirt M for T-shirt L" in response.content.decode()
    assert (on_hand(store, shirts["M"]), on_hand(store, shirts["L"])) == (4, 4)  # 5 - 2 sold + 1 back; 5 - 1
    exchange = Exchange.objects.get()
    assert (exchange.order, exchange.from_sku, exchange.to_sku, exchange.quantity, exchange.actor) == (
        order,
        shirts["M"],
        shirts["L"],
        1,
        manager.user,
    )
    assert order.lines.get().exchanged_quantity == 1
    history = OrderTransition.objects.filter(order=order).latest("pk")
    assert (history.from_state, history.to_state, history.note) == (
        order.state,
        order.state,
        "exchanged 1 x TS-M for TS-L",
    )
    assert (Payment.objects.count(), Refund.objects.count()) == (payments, refunds)  # no money moves
    order.refresh_from_db()
    assert order.refunded_total == Decimal("0.00")
    assert audit_stock() == []
    assert stock_from_business_facts() == []  # the business facts know the exchange too


def test_a_variant_at_another_price_is_refused_and_nothing_is_written(desk, store, member, shirts):
    order = handed_over(store, member, shirts["M"])
    before = written()

    response = post_exchange(desk, order, shirts["XL"])

    assert response.status_code == 422
    assert "The prices differ: take it back as a return and sell the other one." in response.content.decode()
    assert written() == before


def test_another_product_and_too_many_units_are_refused(store, member, manager, shirts):
    order = handed_over(store, member, shirts["M"])
    api = ApiClient(user=manager.user)
    line = order.lines.get().pk
    before = written()

    socks = api.post(f"orders/{order.pk}/exchanges", {"line_id": line, "to_sku_id": shirts["socks"].pk, "quantity": 1})
    too_many = api.post(f"orders/{order.pk}/exchanges", {"line_id": line, "to_sku_id": shirts["L"].pk, "quantity": 3})
    prices = api.post(f"orders/{order.pk}/exchanges", {"line_id": line, "to_sku_id": shirts["XL"].pk, "quantity": 1})

    assert (socks.status_code, problem_code(socks)) == (422, "invalid")
    assert problem_code(too_many) == "return_exceeds_sold"
    assert (prices.status_code, problem_code(prices), prices.json()["reason"]) == (422, "invalid", "prices_differ")
    assert written() == before


def test_too_many_units_on_the_page_is_a_form_error(desk, store, member, shirts):
    order = handed_over(store, member, shirts["M"], quantity=2)
    before = written()

    response = post_exchange(desk, order, shirts["L"], quantity=3)

    assert response.status_code == 422
    assert "more units than the customer still has" in response.content.decode()
    assert written() == before


def test_a_variant_not_on_the_shelf_is_refused_with_409(store, member, manager, shirts):
    order = handed_over(store, member, shirts["M"])
    before = written()

    response = ApiClient(user=manager.user).post(
        f"orders/{order.pk}/exchanges", {"line_id": order.lines.get().pk, "to_sku_id": shirts["S"].pk, "quantity": 1}
    )

    assert (response.status_code, problem_code(response)) == (409, "insufficient_stock")
    assert written() == before


def test_a_clerk_and_another_stores_manager_cannot_exchange(store, other_store, member, shirts):
    order = handed_over(store, member, shirts["M"])
    before = written()
    clerk, stranger = Client(), Client()
    clerk.force_login(EmployeeFactory(role=Role.CLERK, home_location=store).user)
    stranger.force_login(EmployeeFactory(role=Role.STORE_MANAGER, home_location=other_store).user)

    assert post_exchange(clerk, order, shirts["L"]).status_code == 403
    assert post_exchange(stranger, order, shirts["L"]).status_code == 404
    assert written() == before


def test_a_retry_with_the_same_key_exchanges_once(desk, store, member, shirts):
    order = handed_over(store, member, shirts["M"])

    first = post_exchange(desk, order, shirts["L"], key="same-key-1")
    again = post_exchange(desk, order, shirts["L"], key="same-key-1")

    assert (first.status_code, again.status_code) == (200, 200)
    assert Exchange.objects.count() == 1
    assert (on_hand(store, shirts["M"]), on_hand(store, shirts["L"])) == (4, 4)
    assert audit_stock() == []


def test_exchanged_units_cannot_come_back_as_a_return_of_the_old_size(desk, store, member, shirts):
    order = handed_over(store, member, shirts["M"], quantity=2)
    post_exchange(desk, order, shirts["L"])
    line = order.lines.get()
    take_back = reverse("web:counter-returns-take-back", args=[order.pk])

    refused = desk.post(take_back, {f"line-{line.pk}": 2, "reason": "too small", "key": "r" * 32})
    taken = desk.post(take_back, {f"line-{line.pk}": 1, "reason": "too small", "key": "s" * 32})

    assert refused.status_code == 422
    assert taken.status_code == 200
    line.refresh_from_db()
    assert (line.returned_quantity, line.exchanged_quantity) == (1, 1)
    assert on_hand(store, shirts["M"]) == 5  # 5 - 2 sold + 1 exchanged back + 1 returned
    assert Refund.objects.filter(payment__order=order).aggregate(total=Sum("amount"))["total"] == Decimal("59.00")
    assert audit_stock() == [] and stock_from_business_facts() == []


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_exchanges_of_the_last_unit_one_wins(store, member, manager, shirts):
    order = handed_over(store, member, shirts["M"], quantity=1)
    actor, line = actor_for_user(manager.user), order.lines.get().pk

    def exchange(key: str):
        return lambda: exchange_goods(
            actor=actor, order=order, line_id=line, to_sku_id=shirts["L"].pk, quantity=1, idempotency_key=key
        )

    outcomes = run_together([exchange("race-a"), exchange("race-b")])

    assert len(values(outcomes)) == 1
    assert [error.code for error in domain_errors(outcomes)] == ["return_exceeds_sold"]
    assert Exchange.objects.count() == 1
    assert (on_hand(store, shirts["M"]), on_hand(store, shirts["L"])) == (5, 4)
    assert audit_stock() == []


def test_a_hand_over_with_an_exchange_is_not_undone(store, member, shirts, manager):
    order = handed_over(store, member, shirts["M"])
    exchange_goods(actor=actor_for_user(manager.user), order=order, line_id=order.lines.get().pk,
                   to_sku_id=shirts["L"].pk, quantity=1)  # fmt: skip
    voucher = PickupVoucher.objects.get(order=order)

    undone = ApiClient(user=manager.user).post(f"pickup/vouchers/{voucher.pk}/undo", {"reason": "wrong customer"})

    assert (undone.status_code, problem_code(undone)) == (409, "illegal_transition")
    assert Order.objects.get(pk=order.pk).state == order.state
    assert (on_hand(store, shirts["M"]), on_hand(store, shirts["L"])) == (4, 4)
    assert audit_stock() == [] and stock_from_business_facts() == []
