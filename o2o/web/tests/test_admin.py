"""The back office (Django admin) as a superuser with a chain's worth of data in it: every screen
opens, none shows a secret, and the big lists take a fixed number of queries."""

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from o2o.access.actors import SYSTEM
from o2o.access.services import issue_token
from o2o.api.main import api
from o2o.core import periodic
from o2o.core.models import OutboxMessage
from o2o.installments.tests.rows import installment_rows
from o2o.inventory.services import receive_stock, send_transfer
from o2o.loyalty.tests.rows import loyalty_rows
from o2o.members.models import Member
from o2o.payments.models import GatewayCallback, Payment, PaymentAlert
from o2o.pickup.models import PickupVoucher
from o2o.staff.models import Role
from o2o.testing.api import ApiClient, as_staff
from o2o.testing.factories import PASSWORD, EmployeeFactory, MemberFactory, SKUFactory
from o2o.testing.journeys import paid_pickup_order, pay_online, place_pickup_order
from o2o.wallet.tests.rows import wallet_rows

pytestmark = pytest.mark.django_db

SIGNATURE = "f3c1e0d9b8a7968574635241302f1e0d9c8b7a69584736251403f2e1d0c9b8a7"


@pytest.fixture
def superuser_browser() -> Client:
    browser = Client()
    browser.force_login(get_user_model().objects.create_superuser("root", "root@example.com", PASSWORD))
    browser.cookies["django_language"] = "en"
    return browser


@pytest.fixture
def chain(store, other_store, clerk, member) -> dict[str, str]:
    """One of everything the admin shows, made through the services; returns the secrets made."""
    periodic.run_due()  # the scheduler's screens: its jobs' last runs and its heartbeat
    periodic.beat()
    manager = EmployeeFactory(role=Role.STORE_MANAGER, home_location=store)
    sku = SKUFactory()
    for location in (store, other_store):
        receive_stock(actor=SYSTEM, location_id=location.pk, sku_id=sku.pk, quantity=20)
    send_transfer(actor=SYSTEM, source_id=other_store.pk, destination_id=store.pk, lines={sku.pk: 2})
    from o2o.inventory.models import StockLevel
    from o2o.replenishment.services import propose_replenishment  # a replenishment proposal

    StockLevel.objects.filter(location=store, sku=sku).update(alert_level=50)
    propose_replenishment(actor=SYSTEM, location_id=store.pk)
    handed_over = paid_pickup_order(member=member, store=store, sku=sku)
    refunded = paid_pickup_order(member=MemberFactory(name=""), store=store, sku=sku)
    place_pickup_order(member=member, store=store, sku=sku)  # waiting for payment
    voucher = PickupVoucher.objects.get(order=handed_over)
    as_staff(clerk).post("pickup/redeem", {"code": voucher.code})
    as_staff(clerk).post("pickup/verify", {"code": "0000 0000 0000"})  # a miss, in the trail
    assert as_staff(manager).post(f"orders/{refunded.pk}/cancel").status_code == 200
    GatewayCallback.objects.create(
        gateway="simulated", event_id="evt-signed", payload={"amount": "1.00", "sign": SIGNATURE}, outcome="ignored"
    )
    PaymentAlert.objects.create(kind="unknown_payment", gateway="simulated", event_id="evt-x", detail="no payment")
    ApiClient(member=member).post("privacy/consent", {"given": True})  # a consent record
    loyalty_rows(member)  # levels, points, growth
    installment_rows(store=store, member=member, clerk=clerk)  # a store credit plan, its dues and a repayment
    wallet_secrets = wallet_rows(member=member, clerk=clerk)  # tiers, top-ups, ledger, a payment code
    ApiClient(member=member).get("privacy/export")  # a data-rights event
    close = {"business_date": str(timezone.localdate()), "counted_cash": "0.00"}
    assert as_staff(manager).post(f"cashbook/locations/{store.pk}/closes", close).status_code == 201  # a daily close
    ApiClient().post("auth/otp", {"phone": member.phone})
    sign_in_text = OutboxMessage.objects.filter(recipient=member.phone).exclude(secret="").latest("pk").text()
    return {
        "api token": issue_token(user=manager.user),
        "member token": issue_token(member=member),
        "pickup code": voucher.code,
        "other pickup code": PickupVoucher.objects.get(order=refunded).code,
        "pay link reference": Payment.objects.filter(order=refunded).get().gateway_ref,
        "gateway signature": SIGNATURE,
        "sign-in text": sign_in_text,
        **wallet_secrets,
    }


def _registered() -> list:
    return sorted(admin.site._registry, key=lambda m: m._meta.label)


def _first_change_url(model) -> str | None:
    first = model._default_manager.order_by("pk").first()
    if first is None:
        return None
    return f"/admin/{model._meta.app_label}/{model._meta.model_name}/{first.pk}/change/"


def test_every_screen_opens_and_shows_no_secret(superuser_browser, chain):
    pages = ["/admin/"]
    for model in _registered():
        pages.append(f"/admin/{model._meta.app_label}/{model._meta.model_name}/")
        if url := _first_change_url(model):
            pages.append(url)

    answers = {url: superuser_browser.get(url) for url in pages}

    assert {url: a.status_code for url, a in answers.items() if a.status_code != 200} == {}
    shown = {url: a.content.decode() for url, a in answers.items()}
    leaks = {(what, url) for what, secret in chain.items() for url, html in shown.items() if secret in html}
    assert leaks == set()


def test_every_model_with_data_has_a_change_page_in_the_check(chain):
    """The screen test above is only as good as its data: every registered o2o model has a row."""
    empty = [
        m._meta.label
        for m in _registered()
        if m._meta.app_config.name.startswith("o2o.") and not m._default_manager.exists()
    ]

    assert empty == []


def test_pickup_codes_show_only_their_last_four_digits(superuser_browser, chain):
    code = chain["pickup code"]
    voucher = PickupVoucher.objects.get(code=code)

    listing = superuser_browser.get("/admin/pickup/pickupvoucher/").content.decode()
    page = superuser_browser.get(f"/admin/pickup/pickupvoucher/{voucher.pk}/change/").content.decode()
    searched = superuser_browser.get("/admin/pickup/pickupvoucher/", {"q": code}).context["cl"].result_count

    assert f"••••{code[-4:]}" in listing and f"••••{code[-4:]}" in page
    assert searched == 0  # the full code finds nothing: the back office is no code oracle


def test_a_signed_gateway_payload_is_shown_with_its_signature_masked(superuser_browser, chain):
    callback = GatewayCallback.objects.get(event_id="evt-signed")

    page = superuser_browser.get(f"/admin/payments/gatewaycallback/{callback.pk}/change/").content.decode()

    assert "&quot;amount&quot;: &quot;1.00&quot;" in page
    assert "&quot;sign&quot;: &quot;••••&quot;" in page and SIGNATURE not in page


def test_tokens_and_sign_in_codes_have_no_screen(superuser_browser, chain):
    labels = {m._meta.label for m in admin.site._registry}

    assert {"access.ApiToken", "members.OneTimeCode"} & labels == set()
    assert superuser_browser.get("/admin/access/apitoken/").status_code == 404
    assert superuser_browser.get("/admin/members/onetimecode/").status_code == 404


# ---- query counts ------------------------------------------------------------------------------


def _orders(count: int, store, *, paid: bool) -> None:
    """Orders of different members, each with its own SKU: a per-row query would show per order."""
    for _ in range(count):
        sku = SKUFactory()
        receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=sku.pk, quantity=3)
        order = place_pickup_order(member=MemberFactory(), store=store, sku=sku)
        if paid:
            pay_online(order)


def _rows_and_queries(browser: Client, url: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as captured:
        answer = browser.get(url)
    assert answer.status_code == 200
    return len(answer.context["cl"].result_list), len(captured)


@pytest.mark.parametrize(
    ("url", "paid"),
    [
        ("/admin/orders/order/", False),
        ("/admin/inventory/stocklevel/", False),
        ("/admin/inventory/stockmove/", False),
        ("/admin/inventory/reservation/", False),
        ("/admin/members/member/", False),
        ("/admin/pickup/pickupvoucher/", True),
        ("/admin/payments/payment/", True),
    ],
)
def test_a_list_of_fifty_takes_as_many_queries_as_a_list_of_one(url, paid, store):
    # given HQ in the back office, and one row
    hq = Client()
    hq.force_login(EmployeeFactory(role=Role.HQ, home_location=None).user)
    _orders(1, store, paid=paid)
    rows_of_one, queries_of_one = _rows_and_queries(hq, url)

    # when there are fifty
    _orders(49, store, paid=paid)
    rows_of_fifty, queries_of_fifty = _rows_and_queries(hq, url)

    # then the page takes no query per row, and only a handful in all
    assert (rows_of_one, rows_of_fifty) == (1, 50)
    assert queries_of_fifty == queries_of_one <= 12


# ---- logs --------------------------------------------------------------------------------------


def test_a_constraint_error_is_logged_without_the_values_it_was_about(member, caplog):
    # given a database error about a member's phone (PostgreSQL names the key's value in DETAIL)
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Member.objects.create(phone=member.phone, registration_channel="h5")
    if connection.vendor == "postgresql":
        assert member.phone in str(caught.value)

    # when it reaches the API's error handler
    answer = api.on_exception(RequestFactory().post("/api/v1/members"), caught.value)

    # then the caller gets a 409 and the log names the constraint, not the phone
    logged = [r.getMessage() for r in caplog.records if r.name == "o2o.api"]
    assert answer.status_code == 409
    assert len(logged) == 1 and "members_member" in logged[0] and member.phone not in logged[0]
