from datetime import date, datetime, time
from io import StringIO

import phonenumbers
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from o2o.catalog.models import SKU, Price
from o2o.demo.generator import (
    DEMO_MEMBER_PHONE,
    ORDER_BUDGET,
    PASSWORD,
    default_orders_per_store_day,
    generate_demo,
    reset_demo,
)
from o2o.demo.generator.history import History
from o2o.inventory.models import MoveKind, Reservation, StockLevel, StockMove
from o2o.inventory.selectors import audit_stock
from o2o.members.models import Member
from o2o.orders.models import Order, OrderState
from o2o.payments.models import Payment
from o2o.pickup.models import PickupVoucher
from o2o.staff.models import Employee, Role
from o2o.stores.models import Location

pytestmark = pytest.mark.django_db

SMALL = {"stores": 3, "skus": 20, "members": 50, "days": 5, "orders_per_store_day": 6, "today": date(2025, 3, 10)}
HANDED_OVER = [OrderState.COMPLETED, OrderState.PICKED_UP, OrderState.OUT_FOR_DELIVERY, OrderState.DELIVERED]


def fingerprint() -> tuple[list[str], list[str], list[str]]:
    return (
        list(SKU.objects.order_by("code").values_list("code", flat=True)),
        list(Member.objects.order_by("phone").values_list("phone", flat=True)),
        list(Order.objects.order_by("number").values_list("number", flat=True)),
    )


def test_the_chain_has_the_sizes_asked_for():
    summary = generate_demo(seed=1, **SMALL)

    stores = Location.objects.filter(kind=Location.Kind.STORE)
    assert stores.count() == 3
    assert SKU.objects.count() == 20
    assert Member.objects.count() == 50
    assert Price.objects.filter(location__isnull=True).count() == 20 * 4
    assert Location.objects.filter(kind=Location.Kind.WAREHOUSE).count() == 1
    assert Location.objects.filter(kind=Location.Kind.WORKSHOP).count() == 1
    assert stores.filter(ownership=Location.Ownership.FRANCHISE, online_orders_reserve_stock=False).exists()
    assert summary.orders == Order.objects.count() > 0


def test_stock_agrees_with_its_ledger_and_reservations():
    generate_demo(seed=2, **SMALL)
    connection.check_constraints()  # every foreign key the writer handed out points at a row

    assert audit_stock() == []
    assert StockLevel.objects.filter(reserved__gt=0).exists()
    assert StockMove.objects.filter(kind=MoveKind.SALE).exists()


def test_every_handed_over_order_took_its_goods_from_the_shelf():
    generate_demo(seed=3, **SMALL)

    for order in Order.objects.filter(state__in=HANDED_OVER).prefetch_related("lines"):
        moved = StockMove.objects.filter(reference=f"order:{order.number}", kind=MoveKind.SALE)
        assert moved.aggregate(total=Sum("quantity"))["total"] == -sum(line.quantity for line in order.lines.all())
        assert Payment.objects.filter(order=order, state=Payment.State.SUCCEEDED, amount=order.total).exists()
    cancelled = Order.objects.filter(state=OrderState.CANCELLED).values_list("number", flat=True)
    assert not StockMove.objects.filter(reference__in=[f"order:{n}" for n in cancelled]).exists()


def test_waiting_pickups_have_an_issued_voucher_and_hold_their_stock():
    generate_demo(seed=4, **SMALL)

    history_end = datetime.combine(SMALL["today"], time(), tzinfo=timezone.get_current_timezone())

    waiting = Order.objects.filter(state=OrderState.READY_FOR_PICKUP).prefetch_related("lines__reservations")
    assert waiting.filter(member__phone=DEMO_MEMBER_PHONE).count() == 1
    for order in waiting:
        voucher = PickupVoucher.objects.get(order=order)
        assert voucher.state == PickupVoucher.State.ISSUED
        assert voucher.expires_at > history_end  # still valid when the generated history ends
        assert len(voucher.code) == 12 and voucher.code.isdigit()
        for line in order.lines.all():
            (held,) = line.reservations.all()
            assert (held.state, held.quantity, held.expires_at) == (Reservation.State.ACTIVE, line.quantity, None)


def test_collected_pickups_have_a_redeemed_voucher():
    generate_demo(seed=5, **SMALL)

    vouchers = PickupVoucher.objects.filter(order__state=OrderState.PICKED_UP)
    assert vouchers.exists()
    assert not vouchers.exclude(state=PickupVoucher.State.REDEEMED).exists()
    assert not vouchers.filter(redeemed_by__isnull=True).exists()


def test_the_same_seed_gives_the_same_data():
    generate_demo(seed=7, **SMALL)
    first = fingerprint()
    reset_demo()

    generate_demo(seed=7, **SMALL)
    again = fingerprint()
    reset_demo()
    generate_demo(seed=8, **SMALL)
    other = fingerprint()

    assert first == again
    assert first[1] != other[1]


def test_every_member_phone_is_a_valid_mainland_mobile_in_e164():
    generate_demo(seed=9, **SMALL)

    for phone in Member.objects.values_list("phone", flat=True):
        number = phonenumbers.parse(phone)
        assert phonenumbers.is_valid_number(number)
        assert phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) == phone
        assert phone.startswith(("+8613", "+8615", "+8618")) and len(phone) == 14
    assert Member.objects.get(phone=DEMO_MEMBER_PHONE).name == "演示会员"


def test_staff_sign_in_with_the_demo_password_and_belong_to_their_role_group():
    generate_demo(seed=10, **SMALL)
    users = get_user_model().objects

    hq, manager, clerk = users.get(username="hq"), users.get(username="manager1"), users.get(username="clerk2b")

    assert hq.check_password(PASSWORD) and hq.is_staff and not hq.is_superuser
    assert hq.has_perm("catalog.change_sku") and not hq.has_perm("orders.change_order")
    assert not manager.is_staff and manager.groups.filter(name=Role.STORE_MANAGER).exists()
    assert manager.employee.home_location.code == "SH001"
    assert clerk.employee.role == Role.CLERK and clerk.employee.home_location.code == "SH002"
    assert Employee.objects.get(user__username="supervisor").region is not None
    assert Employee.objects.get(user__username="warehouse").home_location.kind == Location.Kind.WAREHOUSE


def test_no_history_still_stocks_the_stores():
    generate_demo(seed=11, stores=2, skus=10, members=5, days=0)

    assert not Order.objects.exists()
    assert StockLevel.objects.filter(on_hand__gt=0).exists()
    assert audit_stock() == []


def test_the_command_generates_once_and_prints_the_logins():
    options = {"stores": 2, "skus": 10, "members": 10, "days": 2, "orders_per_store_day": 3}
    first, second, third = StringIO(), StringIO(), StringIO()

    call_command("demo", stdout=first, **options)
    call_command("demo", stdout=second, **options)
    call_command("demo", stdout=third, reset=True, **options)

    assert "already has data" in second.getvalue()
    for out in (first, second, third):
        text = out.getvalue()
        assert "http://127.0.0.1:8000/join/SH001?ref=E" in text
        assert "clerk1" in text and "demo1234" in text and DEMO_MEMBER_PHONE in text
        assert "\n  cs1        " in text and "all stores, Django admin" in text  # the desk agent, HQ
    assert Location.objects.filter(kind=Location.Kind.STORE).count() == 2


def test_the_printed_links_are_at_the_address_given_or_o2o_site_url(settings):
    options = {"stores": 2, "skus": 10, "members": 10, "days": 1, "orders_per_store_day": 1}
    given, configured = StringIO(), StringIO()

    call_command("demo", stdout=given, site="http://10.0.0.5:8040/", **options)
    settings.O2O_SITE_URL = "https://shop.example"
    call_command("demo", stdout=configured, **options)

    assert "storefront http://10.0.0.5:8040/shop/" in given.getvalue()
    assert "http://10.0.0.5:8040/join/SH001?ref=E" in given.getvalue()
    assert "storefront https://shop.example/shop/" in configured.getvalue()
    assert "127.0.0.1:8000" not in given.getvalue() + configured.getvalue()


def test_large_chains_get_fewer_orders_a_store_a_day_unless_asked():
    assert default_orders_per_store_day(stores=8, days=90) == 30
    assert default_orders_per_store_day(stores=1_000, days=90) == 11.11
    assert default_orders_per_store_day(stores=10_000, days=90) == 1.11
    assert default_orders_per_store_day(stores=10_000, days=0) == 30
    assert 10_000 * 90 * default_orders_per_store_day(stores=10_000, days=90) <= ORDER_BUDGET * 1.01


def test_the_rate_given_is_the_rate_used():
    out = StringIO()

    call_command("demo", stdout=out, stores=2, skus=10, members=10, days=4, orders_per_store_day=0.5)

    assert "(0.5 a store a day)" in out.getvalue()
    assert 0 < Order.objects.count() <= 2 * 4 * 2


def test_an_interrupted_reset_leaves_the_old_demo_in_place(monkeypatch):
    # given a demo chain
    generate_demo(seed=12, **SMALL)
    before = fingerprint()
    filled = History.fill_store

    def interrupted(self, store, **kwargs):
        if store.code == "SH002":
            raise KeyboardInterrupt  # Ctrl-C while the second store is being filled
        return filled(self, store, **kwargs)

    monkeypatch.setattr(History, "fill_store", interrupted)

    # when a reset with other sizes is interrupted half way
    with pytest.raises(KeyboardInterrupt):
        call_command("demo", stdout=StringIO(), reset=True, seed=13, stores=4, skus=20, members=60, days=5)

    # then the old chain is all there, nothing of the new one
    assert fingerprint() == before
    assert Location.objects.filter(kind=Location.Kind.STORE).count() == 3
    assert audit_stock() == []
