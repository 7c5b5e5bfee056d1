"""Whole journeys in a real browser: the customer on a phone, the clerk at the counter, HQ at a desk.

Every page visited is photographed (test-artifacts/screenshots/) and no screen may log a console error.
Pages are in Chinese (the browsers ask for zh-CN); the texts checked are the zh-Hans translations.
"""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from o2o.access.actors import SYSTEM, actor_for_user
from o2o.inventory.services import receive_stock
from o2o.members.models import Member
from o2o.members.phones import mask_phone
from o2o.orders.models import Order, OrderState
from o2o.payments.services import take_in_store_payment
from o2o.staff.models import Role
from o2o.testing.factories import PASSWORD, EmployeeFactory, SKUFactory
from o2o.testing.journeys import place_counter_sale
from o2o.testing.outbox import last_code_sent_to
from o2o.testing.preparation import mark_ready

pytestmark = pytest.mark.django_db(transaction=True)

STATUS_POLL_TIMEOUT_MS = 15_000  # the order page asks for its status every 5 s


@pytest.fixture(autouse=True)
def _no_online_safety_buffer(settings):
    """The live server runs in this process: every unit received can be promised online."""
    settings.O2O_ONLINE_SAFETY_BUFFER = 0


def staff_sign_in(screen, employee, lands_on: str):
    page = screen.goto("/accounts/login/")
    expect(page.locator("h1")).to_have_text("员工登录")
    screen.shot("staff-sign-in")
    page.fill("#id_username", employee.user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{lands_on}")
    return page


def sign_in_code_sent_to(e164: str) -> str:
    return last_code_sent_to(e164)


def test_order_online_and_pick_up_at_the_counter(screens, store, clerk):
    tea = SKUFactory(name="乌龙茶 500ml", price=Decimal("6.50"))
    SKUFactory(name="矿泉水 550ml", price=Decimal("2.00"))  # something the search leaves out
    receive_stock(location_id=store.pk, sku_id=tea.pk, quantity=5, actor=SYSTEM)
    customer = screens("pickup-customer")  # a phone
    shop = customer.page

    # Sign in with the phone and the code sent to it.
    customer.goto("/shop/signin/?next=/shop/")
    expect(shop.locator("h1")).to_have_text("手机号登录")
    customer.shot("sign-in")
    shop.fill("#id_phone", "13800138000")
    shop.click("button[name=send]")
    expect(shop.locator("#id_code")).to_be_visible()
    customer.shot("code-sent")
    shop.fill("#id_code", sign_in_code_sent_to("+8613800138000"))
    shop.click("button[name=verify]")
    shop.wait_for_url("**/shop/")
    expect(shop.locator("a.product")).to_have_count(2)
    customer.shot("products")

    # Find the tea and put it in the cart.
    shop.fill("input[name=q]", "乌龙")
    expect(shop.locator("a.product")).to_have_count(1)
    expect(shop.locator("a.product")).to_contain_text("乌龙茶 500ml")
    customer.shot("search")
    shop.click("a.product")
    shop.wait_for_url(f"**/shop/p/{tea.pk}/")
    expect(shop.locator("h1")).to_have_text("乌龙茶 500ml")
    expect(shop.locator("ul.stores")).to_contain_text(store.name)
    customer.shot("product")
    shop.click("form.add button[type=submit]")
    expect(shop.locator("#added .flash-note")).to_be_visible()
    expect(shop.locator("#cart-count")).to_have_text("1")
    customer.shot("added")
    shop.click("nav.nav a[href='/shop/cart/']")
    shop.wait_for_url("**/shop/cart/")
    expect(shop.locator(".card .price.big")).to_have_text("¥6.50")
    customer.shot("cart")

    # Check out for pickup at the store, then pay at the simulated gateway.
    shop.click("a.button[href='/shop/checkout/']")
    shop.wait_for_url("**/shop/checkout/")
    expect(shop.locator("input[name=fulfilment][value=pickup]")).to_be_checked()
    expect(shop.locator(f"input[name=pickup_store][value='{store.pk}']")).to_be_checked()
    customer.shot("checkout")
    shop.click("form.checkout button[type=submit]")
    shop.wait_for_url(re.compile(r"/shop/orders/\d+/pay/$"))
    expect(shop.locator(".pay .amount")).to_have_text("¥6.50")
    expect(shop.locator(".pay img.qr")).to_be_visible()
    customer.shot("pay")
    shop.click("button[name=outcome][value=succeeded]")
    shop.wait_for_url(re.compile(r"/shop/orders/\d+/$"))

    # The pickup code: twelve digits in groups of four, and its QR code.
    status = shop.locator("#order-status")
    expect(status).to_have_attribute("data-state", OrderState.PAID)  # 备货中: the store prepares it first
    mark_ready(Order.objects.get(member__phone="+8613800138000"))  # what the clerk does on /counter/queue/
    expect(status).to_have_attribute("data-state", OrderState.READY_FOR_PICKUP, timeout=STATUS_POLL_TIMEOUT_MS)
    expect(status.locator(".state")).to_have_text("待自提")
    expect(status.locator("p.code")).to_have_text(re.compile(r"^\d{4} \d{4} \d{4}$"))
    expect(status.locator("img.qr")).to_have_attribute("src", re.compile(r"^data:image/"))
    expect(status.locator("img.qr")).to_be_visible()
    shown_code = status.locator("p.code").inner_text()
    customer.shot("pickup-code")

    # The clerk types the code the customer shows, sees what to hand over and confirms.
    desk = screens("pickup-clerk", wide=True)
    counter = staff_sign_in(desk, clerk, "/counter/")
    expect(counter.locator("#waiting")).to_contain_text("乌龙茶 500ml")
    desk.shot("counter-home")
    counter.click("a.button[href='/counter/pickup/']")
    counter.wait_for_url("**/counter/pickup/")
    expect(counter.locator("h1")).to_have_text("自提核销")
    desk.shot("verify-pickup")
    counter.locator("#id_code").press_sequentially(shown_code)
    counter.click("#pickup-code-form button[type=submit]")
    result = counter.locator("#pickup-panel .result")
    expect(result.locator("tbody tr")).to_have_count(1)
    expect(result.locator("tbody tr")).to_contain_text("乌龙茶 500ml")
    expect(result.locator("tbody td.num")).to_have_text("1")
    expect(result.locator(".badge.ok")).to_be_visible()
    expect(result.locator("p").first).to_have_text("+86138****8000")  # signed up by phone: no name yet
    desk.shot("to-hand-over")
    result.locator("button[type=submit]").click()
    expect(counter.locator("#pickup-panel .done h2")).to_have_text("已交付")
    desk.shot("handed-over")
    desk.assert_no_console_errors()

    # The customer's order page notices by itself.
    expect(status.locator(".state")).to_have_text("已自提", timeout=STATUS_POLL_TIMEOUT_MS)
    expect(shop.locator("#order-status")).to_have_attribute("data-state", OrderState.PICKED_UP)
    expect(shop.locator("#order-status img.qr")).to_have_count(0)
    customer.shot("picked-up")
    customer.assert_no_console_errors()


def test_member_joins_from_the_store_qr_link(screens, store, clerk):
    phone = screens("join")
    page = phone.goto(f"/join/{store.code}?ref={clerk.code}")
    expect(page.locator("h1")).to_have_text(store.name)
    phone.shot("form")
    page.fill("#id_phone", "13912345678")
    page.fill("#id_name", "李雷")
    page.click("button[name=send]")
    expect(page.locator("#id_code")).to_be_visible()  # nobody joins before the phone is proven
    assert not Member.objects.filter(phone="+8613912345678").exists()
    phone.shot("code-sent")
    page.fill("#id_code", sign_in_code_sent_to("+8613912345678"))
    page.click("button[name=join]")
    expect(page.locator("h2")).to_have_text("欢迎！")
    expect(page.get_by_text("+86139****5678")).to_be_visible()
    phone.shot("welcome")
    phone.assert_no_console_errors()

    member = Member.objects.get(phone="+8613912345678")
    assert member.name == "李雷"
    assert member.acquiring_location == store
    assert member.acquiring_employee == clerk


def test_counter_sale_to_a_member_paid_in_cash(screens, store, clerk, member):
    tea = SKUFactory(name="乌龙茶 500ml", price=Decimal("6.50"))
    receive_stock(location_id=store.pk, sku_id=tea.pk, quantity=10, actor=SYSTEM)
    desk = screens("pos", wide=True)
    page = staff_sign_in(desk, clerk, "/counter/")
    desk.shot("counter-home")
    page.click("a.button[href='/counter/sale/']")
    page.wait_for_url("**/counter/sale/")
    desk.shot("sale")

    # Two scans of the barcode (a scanner types it and presses Enter).
    for quantity, total in ((1, "¥6.50"), (2, "¥13.00")):
        page.locator("#id_barcode").press_sequentially(tea.barcode)
        page.locator("#id_barcode").press("Enter")
        expect(page.locator("#basket .line .n")).to_have_text(str(quantity))
        expect(page.locator("#basket .total .price")).to_have_text(total)
    expect(page.locator("#basket .line")).to_have_count(1)
    desk.shot("scanned")

    page.fill("#id_phone", member.phone.removeprefix("+86"))
    page.click("#customer button[type=submit]")
    expect(page.locator("#customer")).to_contain_text(member.name)
    expect(page.locator("#customer")).to_contain_text(mask_phone(member.phone))  # shown masked
    desk.shot("member")

    page.check("#checkout input[name=method][value=cash]")
    pay = page.locator("#checkout button[type=submit]")
    expect(pay).to_have_text("收款 ¥13.00")
    pay.click()
    page.wait_for_url(re.compile(r"/counter/orders/\d+/receipt/$"))
    receipt = page.locator(".receipt")
    expect(receipt.locator("tfoot .price")).to_have_text("¥13.00")
    expect(receipt.locator("tbody tr")).to_contain_text("乌龙茶 500ml")
    expect(receipt.locator(".facts")).to_contain_text(member.name)
    expect(receipt.locator(".paid")).to_contain_text("现金")
    desk.shot("receipt")
    desk.assert_no_console_errors()

    order = Order.objects.get()
    assert order.state == OrderState.PICKED_UP
    assert order.member == member
    assert order.total == Decimal("13.00")
    assert order.fulfilment_location == store


def test_hq_dashboard_shows_todays_counter_sale(screens, store, clerk, member):
    sku = SKUFactory(price=Decimal("19.90"))
    receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=50, actor=SYSTEM)
    sale = place_counter_sale(clerk=clerk, sku=sku, quantity=2, member=member)
    take_in_store_payment(actor=actor_for_user(clerk.user), order=sale, method="cash")
    hq = EmployeeFactory(role=Role.HQ, home_location=None)

    desk = screens("hq", wide=True)
    page = staff_sign_in(desk, hq, "/hq/")
    expect(page.locator(".periods a[aria-current]")).to_have_text("今天")
    expect(page.locator("[data-kpi=sales]")).to_have_text("¥39.80")
    expect(page.locator("[data-kpi=orders]")).to_have_text("1")
    row = page.locator(f"#table-stores tr[data-location='{store.pk}']")
    expect(row).to_contain_text(store.name)
    expect(row.locator("td.num").first).to_have_text("¥39.80")
    for chart in ("chart-stores", "chart-channels", "chart-fulfilment"):
        # ECharts draws with its SVG renderer (hq.js); a canvas would do as well.
        expect(page.locator(f"#{chart}").locator("svg, canvas").first).to_be_visible()
    expect(page.locator("#chart-stores svg")).to_contain_text(store.name)
    desk.shot("dashboard")
    desk.assert_no_console_errors()


def test_the_language_select_switches_the_page_to_english(screens):
    SKUFactory(name="乌龙茶 500ml")
    phone = screens("language")
    page = phone.goto("/shop/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator("nav.nav a").first).to_have_text("商品")
    phone.shot("chinese")
    with page.expect_navigation():
        page.select_option("header select[name=language]", "en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("nav.nav a").first).to_have_text("Products")
    expect(page.locator("input[name=q]")).to_have_attribute("placeholder", "Search products")
    assert page.url.endswith("/shop/")
    phone.shot("english")
    phone.assert_no_console_errors()
