"""Issue 8's money journey in a real browser (a member on a phone, the store manager at the counter):
top up 500 and get 550, buy two products for pickup with stored value + points, hand them over,
take one line back: the wallet and the points pages show the balances back to the fen, audit clean.

The storefront pages are zh-Hans (the phone asks for zh-CN); the figures checked are the pages' own.
"""

import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from o2o.access.actors import SYSTEM, actor_for_user
from o2o.inventory.services import receive_stock
from o2o.loyalty import audit as loyalty_audit
from o2o.loyalty.services import Adjustment, adjust_points
from o2o.orders.models import Order, OrderState
from o2o.payments.models import Payment
from o2o.staff.models import Role
from o2o.testing.factories import EmployeeFactory, SKUFactory
from o2o.testing.outbox import last_code_sent_to
from o2o.wallet import audit as wallet_audit
from o2o.wallet.models import TopUpTier, WalletEntry

from .test_journeys import staff_sign_in

pytestmark = pytest.mark.django_db(transaction=True)

D = Decimal


@pytest.fixture(autouse=True)
def _no_online_safety_buffer(settings):
    """The live server runs in this process: every unit received can be promised online."""
    settings.O2O_ONLINE_SAFETY_BUFFER = 0


def member_sign_in(phone, e164: str) -> None:
    shop = phone.goto("/shop/signin/?next=/shop/")
    shop.fill("#id_phone", e164.removeprefix("+86"))
    shop.click("button[name=send]")
    expect(shop.locator("#id_code")).to_be_visible()
    shop.fill("#id_code", last_code_sent_to(e164))
    shop.click("button[name=verify]")
    shop.wait_for_url("**/shop/")


def add_to_cart(phone, sku, count: int) -> None:
    shop = phone.goto(f"/shop/p/{sku.pk}/")
    expect(shop.locator("h1")).to_have_text(sku.name)
    shop.click("form.add button[type=submit]")
    expect(shop.locator("#cart-count")).to_have_text(str(count))


def expect_wallet(phone, *, total: str, principal: str, bonus: str) -> None:
    shop = phone.goto("/shop/wallet/")
    balance = shop.locator("#balance")
    expect(balance.get_by_test_id("total")).to_have_text(total)
    expect(balance.get_by_test_id("principal")).to_have_text(principal)
    expect(balance.get_by_test_id("bonus")).to_have_text(bonus)


def expect_points(phone, *, available: str, worth: str, pending: int) -> None:
    shop = phone.goto("/shop/points/")
    expect(shop.locator("#balance").get_by_test_id("available")).to_have_text(available)
    expect(shop.locator("#balance")).to_contain_text(f"¥{worth}")
    expect(shop.locator("#balance")).to_contain_text(f"{pending} 积分待生效")


def test_top_up_pay_with_wallet_and_points_return_one_line(screens, store, member):
    TopUpTier.objects.create(pay_amount=D("500.00"), bonus_amount=D("50.00"))
    tea = SKUFactory(name="乌龙茶 礼盒", price=D("12.50"))
    kettle = SKUFactory(name="电水壶", price=D("37.50"))
    for sku in (tea, kettle):
        receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=5, actor=SYSTEM)
    manager = EmployeeFactory(home_location=store, role=Role.STORE_MANAGER)
    cs_agent = EmployeeFactory(home_location=None, role=Role.CS_AGENT)
    adjust_points(
        actor=actor_for_user(cs_agent.user),
        adjustment=Adjustment(member_id=member.pk, points=2000, reason="welcome", reference="welcome-1"),
    )

    phone = screens("money-member")
    shop = phone.page
    member_sign_in(phone, member.phone)

    # The wallet is empty; the 500 -> 550 tier is offered.
    shop.click("nav.nav a[href='/shop/wallet/']")
    shop.wait_for_url("**/shop/wallet/")
    expect(shop.get_by_test_id("total")).to_have_text("¥0.00")
    tier = shop.locator("#top-up ul.tiers li")
    expect(tier).to_have_count(1)
    expect(tier).to_contain_text("500.00")
    expect(tier).to_contain_text("50.00")
    phone.shot("wallet-empty")

    # Top up 500 at the simulated gateway: 550 in the wallet (500 principal + 50 bonus).
    tier.locator("button[type=submit]").click()
    shop.wait_for_url(re.compile(r"/shop/wallet/top-ups/\d+/$"))
    expect(shop.locator(".pay .amount")).to_have_text("¥500.00")
    expect(shop.locator(".pay")).to_contain_text("¥50.00")
    expect(shop.locator(".pay img.qr")).to_be_visible()
    phone.shot("top-up-pay")
    shop.click("button[name=outcome][value=succeeded]")
    shop.wait_for_url("**/shop/wallet/")
    expect(shop.get_by_test_id("total")).to_have_text("¥550.00")
    expect(shop.get_by_test_id("principal")).to_have_text("¥500.00")
    expect(shop.get_by_test_id("bonus")).to_have_text("¥50.00")
    expect(shop.locator("#ledger li")).to_have_count(2)
    phone.shot("wallet-topped-up")
    expect_points(phone, available="2000", worth="20.00", pending=0)
    phone.shot("points-before")

    # Two products in the cart, checked out for pickup at the store: 12.50 + 37.50 = 50.00.
    add_to_cart(phone, tea, 1)
    add_to_cart(phone, kettle, 2)
    shop.click("nav.nav a[href='/shop/cart/']")
    shop.wait_for_url("**/shop/cart/")
    expect(shop.locator(".card .price.big")).to_have_text("¥50.00")
    shop.click("a.button[href='/shop/checkout/']")
    shop.wait_for_url("**/shop/checkout/")
    expect(shop.locator("input[name=fulfilment][value=pickup]")).to_be_checked()
    expect(shop.locator(f"input[name=pickup_store][value='{store.pk}']")).to_be_checked()
    phone.shot("checkout")
    shop.click("form.checkout button[type=submit]")
    shop.wait_for_url(re.compile(r"/shop/orders/\d+/pay/$"))
    expect(shop.locator(".pay .amount")).to_have_text("¥50.00")
    phone.shot("pay")

    # On the pay page: 1000 points (¥10.00) and ¥40.00 of stored value cover it; no gateway part.
    balance_form = shop.locator("details.pay-balance")
    balance_form.locator("summary").click()
    expect(balance_form).to_contain_text("¥550.00")
    expect(balance_form).to_contain_text("2000")
    shop.fill("#id_wallet_amount", "40.00")
    shop.fill("#id_points", "1000")
    phone.shot("pay-with-balance")
    balance_form.locator("button[type=submit]").click()
    shop.wait_for_url(re.compile(r"/shop/orders/\d+/$"))
    status = shop.locator("#order-status")
    expect(status).to_have_attribute("data-state", OrderState.PAID)  # preparing (o2o.preparation)
    expect(status.locator("p.code")).to_have_text(re.compile(r"^\d{4} \d{4} \d{4}$"))
    shown_code = status.locator("p.code").inner_text()
    phone.shot("paid")

    order = Order.objects.get()
    assert order.total == D("50.00")
    paid = sorted((p.method, p.amount, p.state) for p in Payment.objects.filter(order=order, state="succeeded"))
    assert paid == [("points", D("10.00"), "succeeded"), ("wallet", D("40.00"), "succeeded")]
    # the gateway payment the checkout opened for its QR is closed, not left pending
    assert not Payment.objects.filter(order=order, state=Payment.State.PENDING).exists()

    # The wallet gave 40.00 in proportion (36.36 principal + 3.64 bonus); 1000 points are left and
    # the order earns 50 points (one a yuan), pending until it completes: 13 on the tea, 37 on the kettle.
    expect_wallet(phone, total="¥510.00", principal="¥463.64", bonus="¥46.36")
    phone.shot("wallet-after-pay")
    expect_points(phone, available="1000", worth="10.00", pending=50)
    phone.shot("points-after-pay")

    # The store manager hands both over at the counter with the code the member shows.
    desk = screens("money-manager", wide=True)
    staff_sign_in(desk, manager, "/manager/")
    counter = desk.goto("/counter/pickup/")
    expect(counter.locator("h1")).to_have_text("自提核销")
    counter.locator("#id_code").press_sequentially(shown_code)
    counter.click("#pickup-code-form button[type=submit]")
    result = counter.locator("#pickup-panel .result")
    expect(result.locator("tbody tr")).to_have_count(2)
    desk.shot("to-hand-over")
    result.locator("button[type=submit]").click()
    expect(counter.locator("#pickup-panel .done h2")).to_have_text("已交付")
    desk.shot("handed-over")
    desk.assert_no_console_errors()
    order.refresh_from_db()
    assert order.state == OrderState.PICKED_UP

    # The store manager takes the tea line (12.50) back on the counter's returns page.
    counter.click("a[href='/counter/returns/']")
    counter.wait_for_url("**/counter/returns/")
    counter.fill("#id_number", order.number)
    counter.click("#returns-find-form button[type=submit]")
    tea_line = order.lines.get(sku=tea)
    expect(counter.locator("#returns-panel tbody tr")).to_have_count(2)
    counter.fill(f"#id_line-{tea_line.pk}", "1")
    counter.fill("#id_reason", "dented box")
    desk.shot("return-form")
    counter.click("#returns-panel form[method=post] button[type=submit]")
    refunds = counter.locator("[data-refunds]")
    expect(refunds.locator("tr[data-refund=points]")).to_contain_text("¥10.00")
    expect(refunds.locator("tr[data-refund=points]")).to_contain_text("1000")
    expect(refunds.locator("tr[data-refund=wallet]")).to_contain_text("¥2.50")
    expect(refunds.locator("tbody tr")).to_have_count(2)
    desk.shot("returned")
    desk.assert_no_console_errors()
    tea_line.refresh_from_db()
    assert tea_line.returned_quantity == 1

    # Points go back first (10.00 = 1000 points), the wallet the other 2.50 in the spend's
    # proportion: 0.23 bonus (3.64 x 2.50 / 40.00, to the fen) and 2.27 principal.
    expect_wallet(phone, total="¥512.50", principal="¥465.91", bonus="¥46.59")
    expect(shop.locator("#ledger li").first).to_contain_text("2.50")
    phone.shot("wallet-after-return")
    # The tea's 13 pending points are reversed with it; the kettle's 37 stay pending.
    expect_points(phone, available="2000", worth="20.00", pending=37)
    phone.shot("points-after-return")
    phone.assert_no_console_errors()

    refund = WalletEntry.objects.filter(kind="spend_refund").get()
    assert (refund.principal_delta, refund.bonus_delta) == (D("2.27"), D("0.23"))
    assert wallet_audit.run() == []
    assert loyalty_audit.run() == []
    call_command("audit")
