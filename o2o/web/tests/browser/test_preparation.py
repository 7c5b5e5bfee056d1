"""The store prepares an online order in a real browser: the customer's order page says it is being
prepared, the clerk accepts it on the counter's queue (its badge counts it), picks it and marks it
ready, and the customer's page turns to ready for pickup without a reload."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from o2o.access.actors import SYSTEM
from o2o.inventory.services import receive_stock
from o2o.orders.models import OrderState
from o2o.preparation.models import Preparation
from o2o.testing.factories import SKUFactory
from o2o.testing.journeys import paid_pickup_order

from .test_journeys import STATUS_POLL_TIMEOUT_MS, staff_sign_in
from .test_money_journey import member_sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_clerk_prepares_and_the_customer_sees_it_ready(screens, store, clerk, member):
    tea = SKUFactory(name="乌龙茶 500ml", price=Decimal("6.50"))
    receive_stock(location_id=store.pk, sku_id=tea.pk, quantity=5, actor=SYSTEM)
    order = paid_pickup_order(member=member, store=store, sku=tea, quantity=2)
    preparation = Preparation.objects.get(order=order)

    customer = screens("prep-customer")
    member_sign_in(customer, member.phone)
    shop = customer.goto(f"/shop/orders/{order.pk}/")
    status = shop.locator("#order-status")
    expect(status).to_have_attribute("data-state", OrderState.PAID)
    expect(status.locator("p.preparing")).to_be_visible()
    customer.shot("preparing")

    desk = screens("prep-clerk")
    counter = staff_sign_in(desk, clerk, "/counter/")
    expect(counter.locator("#queue-badge")).to_have_attribute("data-count", "1")
    counter = desk.goto("/counter/queue/")
    card = counter.locator(f"#prep-{preparation.pk}")
    expect(card).to_have_attribute("data-state", "to_prepare")
    desk.shot("queue")
    card.locator("button[type=submit]").last.click()
    expect(counter.locator(f"#prep-{preparation.pk}")).to_have_attribute("data-state", "accepted")
    counter.locator(f"#prep-{preparation.pk} form.scan input[name=code]").fill(tea.code)
    counter.locator(f"#prep-{preparation.pk} form.scan button[type=submit]").click()
    expect(counter.locator(f"#prep-{preparation.pk} [data-picked]")).to_have_text("1")
    counter.locator(f"#prep-{preparation.pk} li.pick form").first.locator("button").click()
    expect(counter.locator(f"#prep-{preparation.pk} [data-picked]")).to_have_count(1)
    expect(counter.locator(f"#prep-{preparation.pk} li.pick.complete")).to_have_count(1)
    counter.locator(f"#prep-{preparation.pk} > form button").last.click()
    expect(counter.locator(f"#prep-{preparation.pk}")).to_have_attribute("data-state", "ready")
    desk.shot("ready")

    expect(status).to_have_attribute("data-state", OrderState.READY_FOR_PICKUP, timeout=STATUS_POLL_TIMEOUT_MS)
    expect(status.locator("p.preparing")).to_have_count(0)
    customer.shot("ready-for-pickup")
    customer.assert_no_console_errors()
    desk.assert_no_console_errors()
