"""The wallet pages: the member's wallet, top-up through the simulated gateway and payment code;
the counter's top-up and principal refund; HQ's liabilities, tiers and freezing."""

import re
from decimal import Decimal

import pytest
from django.test import Client

from o2o.staff.models import Role
from o2o.testing.factories import EmployeeFactory, MemberFactory
from o2o.wallet.models import PaymentCode, TopUp, TopUpTier, Wallet, WalletEntry
from o2o.wallet.selectors import balance
from o2o.web.auth import MEMBER_SESSION_KEY

pytestmark = pytest.mark.django_db

D = Decimal
HTMX = {"HTTP_HX_REQUEST": "true"}


def shop(member) -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    session = client.session
    session[MEMBER_SESSION_KEY] = member.pk
    session.save()
    return client


def staff(employee) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.cookies["django_language"] = "en"
    client.force_login(employee.user)
    return client


@pytest.fixture
def tier():
    return TopUpTier.objects.create(pay_amount=D("500.00"), bonus_amount=D("50.00"))


def test_member_tops_up_500_and_gets_550_through_the_simulated_gateway(member, tier):
    client = shop(member)

    page = client.get("/shop/wallet/")
    started = client.post("/shop/wallet/top-up/", {"amount": "500.00"})
    pay_page = client.get(started["Location"])
    paid = client.post(f"{started['Location']}simulate/", {"outcome": "succeeded"})
    after = client.get("/shop/wallet/")

    assert "Pay ¥500.00, get ¥50.00 bonus" in page.content.decode()
    assert started.status_code == 302
    assert 'class="qr"' in pay_page.content.decode()
    assert paid.status_code == 302 and paid["Location"] == "/shop/wallet/"
    assert balance(member_id=member.pk).total == D("550.00")
    assert 'data-testid="principal">¥500.00' in after.content.decode()
    assert 'data-testid="bonus">¥50.00' in after.content.decode()


def test_a_bad_amount_on_the_wallet_page_writes_nothing(member):
    response = shop(member).post("/shop/wallet/top-up/", {"amount": "1.001"})

    assert response.status_code == 302
    assert not TopUp.objects.exists()


def test_another_members_top_up_page_is_404(member):
    other = MemberFactory()
    shop(other).post("/shop/wallet/top-up/", {"amount": "10.00"})
    top_up = TopUp.objects.get()

    assert shop(member).get(f"/shop/wallet/top-ups/{top_up.pk}/").status_code == 404
    assert shop(member).post(f"/shop/wallet/top-ups/{top_up.pk}/simulate/", {"outcome": "succeeded"}).status_code == 404
    assert TopUp.objects.get().state == "pending"


def test_the_payment_code_page_reads_only_and_its_panel_asks_for_a_fresh_code(member):
    client = shop(member)

    page = client.get("/shop/wallet/code/")
    issued_by_the_page = PaymentCode.objects.count()
    first = client.post("/shop/wallet/code/fresh/", **HTMX)
    second = client.post("/shop/wallet/code/fresh/", **HTMX)

    assert issued_by_the_page == 0
    assert 'hx-trigger="load, every 60s"' in page.content.decode()
    digits = re.search(r'data-testid="code">([\d ]+)<', first.content.decode()).group(1).replace(" ", "")
    assert len(digits) == 18
    assert "<html" not in first.content.decode()
    assert PaymentCode.objects.filter(member=member, voided_at__isnull=True, used_at__isnull=True).count() == 1
    assert second.status_code == 200


def test_the_wallet_pages_need_a_member():
    response = Client().get("/shop/wallet/")

    assert response.status_code == 302 and "/signin" in response["Location"]


def test_clerk_tops_up_at_the_counter_once_per_form(member, clerk, tier):
    client = staff(clerk)
    form = {"phone": member.phone, "code": "", "amount": "500.00", "method": "cash", "key": "k-1"}

    page = client.get("/counter/wallet/")
    first = client.post("/counter/wallet/top-up/", form)
    again = client.post("/counter/wallet/top-up/", form)

    assert page.status_code == 200
    assert first.status_code == again.status_code == 302
    assert TopUp.objects.get().location_id == clerk.home_location_id
    assert balance(member_id=member.pk).total == D("550.00")


def test_counter_top_up_by_an_invalid_code_says_so_and_writes_nothing(clerk):
    form = {"phone": "", "code": "280000000000000000", "amount": "10.00", "method": "card", "key": "k-2"}

    response = staff(clerk).post("/counter/wallet/top-up/", form)

    assert response.status_code == 422
    assert "not valid" in response.content.decode()
    assert not TopUp.objects.exists()


def test_a_clerk_sees_no_principal_refund_but_a_manager_pays_back(member, clerk, store):
    staff(clerk).post(
        "/counter/wallet/top-up/", {"phone": member.phone, "amount": "200.00", "method": "cash", "key": "k"}
    )
    manager = EmployeeFactory(role=Role.STORE_MANAGER, home_location=store)

    clerk_page = staff(clerk).get("/counter/wallet/")
    refused = staff(clerk).post(
        "/counter/wallet/refund/", {"phone": member.phone, "amount": "50.00", "reason": "x", "key": "r"}
    )
    paid_back = staff(manager).post(
        "/counter/wallet/refund/", {"phone": member.phone, "amount": "50.00", "reason": "moving", "key": "r"}
    )

    assert 'id="principal-refund"' not in clerk_page.content.decode()
    assert refused.status_code == 422
    assert paid_back.status_code == 302
    assert balance(member_id=member.pk).principal == D("150.00")
    assert WalletEntry.objects.filter(kind="principal_refund").count() == 1


def test_hq_sees_liabilities_adds_a_tier_and_freezes_a_wallet(member, clerk):
    staff(clerk).post(
        "/counter/wallet/top-up/", {"phone": member.phone, "amount": "100.00", "method": "cash", "key": "k"}
    )
    hq = staff(EmployeeFactory(role=Role.HQ, home_location=None))

    page = hq.get("/hq/wallet/")
    added = hq.post("/hq/wallet/tiers/", {"pay_amount": "300.00", "bonus_amount": "20.00"})
    found = hq.get("/hq/wallet/", {"phone": member.phone})
    frozen = hq.post("/hq/wallet/freeze/", {"member_id": member.pk, "reason": "chargeback", "phone": member.phone})

    assert 'data-testid="total">¥100.00' in page.content.decode()
    assert added.status_code == 302 and TopUpTier.objects.get().pay_amount == D("300.00")
    assert "¥100.00" in found.content.decode()
    assert frozen.status_code == 302
    assert Wallet.objects.get(member=member).freeze_reason == "chargeback"


def test_the_hq_wallet_page_is_for_hq_only(clerk, member):
    assert staff(clerk).get("/hq/wallet/").status_code == 403
    assert staff(clerk).post("/hq/wallet/freeze/", {"member_id": member.pk, "reason": "x"}).status_code == 403
    assert not Wallet.objects.filter(frozen_at__isnull=False).exists()
