"""The pages satisfy their Content-Security-Policy in a real browser: no violation reported on
any audience's page, and the libraries that need something of it still work (Alpine.js toggles,
htmx swaps, ECharts draws, Swagger UI renders, the language switch submits)."""

import pytest
from django.test import Client
from playwright.sync_api import expect

from o2o.access.actors import SYSTEM, actor_for_user
from o2o.inventory.services import receive_stock
from o2o.payments.services import take_in_store_payment
from o2o.staff.models import Role
from o2o.testing.factories import EmployeeFactory, SKUFactory, UserFactory
from o2o.testing.journeys import place_counter_sale

pytestmark = pytest.mark.django_db(transaction=True)

# Runs before any page script (through the DevTools protocol, outside the page's policy).
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(
  e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + e.sourceFile + ':' + e.lineNumber));
"""


def _as(screens, live_server, user, name: str, *, wide: bool = False):
    screen = screens(name, wide=wide)
    if user is not None:
        client = Client()
        client.force_login(user)
        cookie = client.cookies["sessionid"]
        screen.context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])
    screen.context.add_init_script(RECORD_VIOLATIONS)
    return screen


def _violations(screen) -> list[str]:
    return screen.page.evaluate("window.__csp")


def test_the_storefront_and_the_sign_in_page_raise_no_violation(screens, live_server):
    SKUFactory.create_batch(2)
    shopper = _as(screens, live_server, None, "csp-shop")

    shopper.goto("/shop/")
    shopper.goto("/accounts/login/")
    page = shopper.page
    # The language switch: an Alpine @change handler now, not an inline onchange.
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")

    assert page.locator("html").get_attribute("lang") == "en"
    assert _violations(shopper) == []
    shopper.assert_no_console_errors()


def test_the_manager_stock_page_toggles_with_alpine_under_the_policy(screens, live_server, store):
    sku = SKUFactory()
    receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=5, actor=SYSTEM)
    manager = EmployeeFactory(role=Role.STORE_MANAGER, home_location=store)
    desk = _as(screens, live_server, manager.user, "csp-manager", wide=True)

    page = desk.goto("/manager/")
    row = page.locator(f"#stock-{sku.pk}")
    row.locator("a.button").click()

    # Alpine shows the row on its next tick: wait for it (a loaded machine took longer than one check)
    expect(row.locator("tr.adjust")).to_be_visible()
    assert _violations(desk) == []
    desk.assert_no_console_errors()


def test_the_counter_pages_raise_no_violation(screens, live_server, clerk):
    desk = _as(screens, live_server, clerk.user, "csp-counter")

    desk.goto("/counter/")
    desk.goto("/counter/sale/")
    desk.goto("/counter/pickup/")

    assert _violations(desk) == []


def test_the_hq_dashboard_draws_its_charts_under_the_policy(screens, live_server, store, clerk):
    sku = SKUFactory()
    receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=5, actor=SYSTEM)
    order = place_counter_sale(clerk=clerk, sku=sku, quantity=2)
    take_in_store_payment(actor=actor_for_user(clerk.user), order=order, method="cash")
    hq = EmployeeFactory(role=Role.HQ, home_location=None)
    desk = _as(screens, live_server, hq.user, "csp-hq", wide=True)

    page = desk.goto("/hq/")
    page.locator("#chart-stores svg").first.wait_for()

    assert _violations(desk) == []
    desk.assert_no_console_errors()


def test_the_admin_and_the_api_docs_raise_no_violation(screens, live_server):
    admin = _as(screens, live_server, UserFactory(is_staff=True, is_superuser=True), "csp-admin", wide=True)
    missing = []
    admin.page.on("response", lambda r: r.status == 404 and missing.append(r.url))

    admin.goto("/admin/")
    admin.goto("/admin/core/outboxmessage/")
    page = admin.goto("/api/v1/docs")
    page.locator(".swagger-ui .info").wait_for()

    assert _violations(admin) == []
    assert missing == []
    # The admin links no icon, so the browser asks for /favicon.ico (404): not a policy matter.
    assert [e for e in admin.errors if "status of 404" not in e] == []
