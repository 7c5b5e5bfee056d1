"""My orders, by the tabs shoppers know: to pay, preparing, to pick up, done, cancelled or refunded."""

import re
from decimal import Decimal

import pytest
from django.test import Client

from o2o.access.actors import SYSTEM
from o2o.inventory.services import receive_stock
from o2o.orders.models import Order, OrderState
from o2o.testing.factories import MemberFactory, SKUFactory
from o2o.testing.journeys import paid_pickup_order, place_pickup_order
from o2o.testing.preparation import mark_ready
from o2o.web.auth import MEMBER_SESSION_KEY

pytestmark = pytest.mark.django_db


def _shop(member) -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    session = client.session
    session[MEMBER_SESSION_KEY] = member.pk
    session.save()
    return client


def _numbers(html: str) -> list[str]:
    return re.findall(r"<strong>([0-9A-Z]{8,20})</strong>", html)


@pytest.fixture
def orders(store, member):
    sku = SKUFactory(price=Decimal("6.50"))
    receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=20, actor=SYSTEM)
    unpaid = place_pickup_order(member=member, store=store, sku=sku)
    preparing = paid_pickup_order(member=member, store=store, sku=sku)
    ready = mark_ready(paid_pickup_order(member=member, store=store, sku=sku))
    cancelled = place_pickup_order(member=member, store=store, sku=sku)
    Order.objects.filter(pk=cancelled.pk).update(state=OrderState.CANCELLED)
    return {"unpaid": unpaid, "preparing": preparing, "ready": ready, "cancelled": cancelled}


@pytest.mark.parametrize(
    ("tab", "expected"),
    [("to-pay", ["unpaid"]), ("preparing", ["preparing"]), ("to-collect", ["ready"]), ("refunds", ["cancelled"]),
     ("done", [])],
)  # fmt: skip
def test_each_tab_shows_the_orders_in_its_states(member, orders, tab, expected):
    html = _shop(member).get("/shop/orders/", {"tab": tab}).content.decode()

    assert _numbers(html) == [orders[name].number for name in expected]
    assert f'href="/shop/orders/?tab={tab}" class="active"' in html


def test_all_orders_newest_first_and_another_members_are_never_shown(member, orders, store):
    stranger = MemberFactory()

    mine = _shop(member).get("/shop/orders/").content.decode()
    theirs = _shop(stranger).get("/shop/orders/", {"tab": "to-pay"}).content.decode()

    assert _numbers(mine) == [orders[n].number for n in ("cancelled", "ready", "preparing", "unpaid")]
    assert _numbers(theirs) == [] and "No orders here." in theirs


def test_an_unknown_tab_is_not_found(member, orders):
    assert _shop(member).get("/shop/orders/", {"tab": "lost"}).status_code == 404
