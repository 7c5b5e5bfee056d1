"""The outreach API: my link and figures, my card (only mine), and the public side of a share code."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from o2o.access.actors import SYSTEM, actor_for_member
from o2o.catalog.models import Channel
from o2o.inventory.services import receive_stock
from o2o.members.models import Member
from o2o.orders.models import Order
from o2o.orders.services import LineRequest, OrderRequest, place_order
from o2o.outreach.models import EmployeeCard, ShareVisit
from o2o.outreach.selectors import Figures, share_link_figures
from o2o.outreach.services import record_visit
from o2o.staff.models import Role
from o2o.testing.api import ApiClient, as_member, as_staff, problem_code
from o2o.testing.factories import EmployeeFactory, MemberFactory, SKUFactory
from o2o.testing.journeys import pay_online

pytestmark = pytest.mark.django_db


@pytest.fixture
def seller(store):
    return EmployeeFactory(home_location=store, code="WANG01", display_name="王小明")


def _put_card(client: ApiClient, body: dict):
    return client._call("put", "outreach/me/card", body)


def test_an_employee_writes_their_own_card(seller):
    body = {"title": "店长", "greeting": " 欢迎 ", "contact_phone": "13800001111", "wechat_id": "wang01",
            "photo_url": "https://img.example.com/w.png"}  # fmt: skip
    response = _put_card(as_staff(seller), body)

    assert response.status_code == 200
    card = EmployeeCard.objects.get(employee=seller)
    assert (card.title, card.greeting, card.contact_phone) == ("店长", "欢迎", "+8613800001111")
    assert (card.wechat_id, card.photo_url) == ("wang01", "https://img.example.com/w.png")
    assert response.json()["contact_phone"] == "+8613800001111"


def test_writing_the_card_again_replaces_it(seller):
    client = as_staff(seller)
    _put_card(client, {"title": "店员", "wechat_id": "old"})

    _put_card(client, {"title": "店长"})

    card = EmployeeCard.objects.get(employee=seller)
    assert (card.title, card.wechat_id) == ("店长", "")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"contact_phone": "12345"}, "invalid_phone"),
        ({"photo_url": "javascript:alert(1)"}, "invalid"),
        ({"title": "x" * 61}, "validation_error"),
        ({"title": 5}, "validation_error"),
    ],
)
def test_a_bad_card_is_a_4xx_and_writes_nothing(seller, body, code):
    response = _put_card(as_staff(seller), body)

    assert 400 <= response.status_code < 500
    assert problem_code(response) in {code, "invalid"}
    assert not EmployeeCard.objects.exists()


def test_members_and_anonymous_callers_have_no_card_to_write(seller, member):
    for client in (as_member(member), ApiClient()):
        response = _put_card(client, {"title": "店长"})
        assert response.status_code in (401, 403)
    assert not EmployeeCard.objects.exists()


def test_an_employee_cannot_write_anothers_card(seller, store):
    other = EmployeeFactory(home_location=store, role=Role.STORE_MANAGER)
    EmployeeCard.objects.create(employee=seller, title="店长")

    # the card is always the caller's own: there is no way to name another employee
    response = as_staff(other).client.put(
        "/api/v1/outreach/me/card?employee=WANG01", '{"title": "坏人"}', content_type="application/json",
        headers=as_staff(other).headers,
    )  # fmt: skip

    assert response.status_code == 200
    assert EmployeeCard.objects.get(employee=seller).title == "店长"
    assert EmployeeCard.objects.get(employee=other).title == "坏人"


def test_the_public_card_tells_the_name_title_and_store_but_no_phone(seller, store):
    EmployeeCard.objects.create(employee=seller, title="店长", contact_phone="+8613800001111", wechat_id="wang01")

    response = ApiClient().get("outreach/employees/WANG01")

    assert response.status_code == 200
    body = response.json()
    assert (body["display_name"], body["title"], body["store"]) == ("王小明", "店长", store.name)
    assert body["link"].endswith("/shop/e/WANG01/")
    assert "+8613800001111" not in response.content.decode() and "wang01" not in response.content.decode()
    assert seller.user.username not in response.content.decode()


@pytest.mark.parametrize("code", ["NOPE", "x" * 17, "%00", "a%0Ab"])
def test_an_unknown_code_is_a_404(seller, code):
    response = ApiClient().get(f"outreach/employees/{code}")

    assert response.status_code == 404 and problem_code(response) == "not_found"


def test_my_link_and_figures(seller, store):
    sku = SKUFactory(price=Decimal("20.00"))
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=sku.pk, quantity=10)
    record_visit(employee=seller, visitor_cookie="a", path="/shop/e/WANG01/")
    record_visit(employee=seller, visitor_cookie="b", path="/shop/e/WANG01/")
    MemberFactory(registration_channel="share_link", acquiring_employee=seller)
    buyer = MemberFactory()
    request = OrderRequest(channel=Channel.SHARE_LINK, fulfilment="pickup", fulfilment_location_id=store.pk,
                           lines=[LineRequest(sku.pk, 2)], referrer=seller)  # fmt: skip
    pay_online(place_order(actor=actor_for_member(buyer), member=buyer, request=request))

    response = as_staff(seller).get("outreach/me")

    assert response.status_code == 200
    body = response.json()
    assert body["link"].endswith("/shop/e/WANG01/")
    assert body["qr_url"].endswith("/shop/e/WANG01/qr.svg")
    assert body["poster_url"].endswith("/shop/e/WANG01/poster.png")
    figures = body["figures"]
    assert (figures["visits"], figures["visitors"], figures["members_acquired"], figures["orders"]) == (2, 2, 1, 1)
    assert figures["revenue"] == "40.00"
    assert figures["conversion"] == "0.5000"


@pytest.mark.parametrize(
    "query",
    [{"since": "2026-02-01", "until": "2026-01-01"}, {"since": "2020-01-01", "until": "2026-01-01"}, {"since": "x"}],
)
def test_a_bad_period_is_a_422(seller, query):
    response = as_staff(seller).get("outreach/me", **query)

    assert response.status_code == 422


def test_a_member_has_no_share_link(member):
    assert as_member(member).get("outreach/me").status_code == 403
    assert ApiClient().get("outreach/me").status_code == 401


def test_figures_count_the_window_and_refunds(seller, store):
    sku = SKUFactory(price=Decimal("10.00"))
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=sku.pk, quantity=10)
    now = timezone.now()
    record_visit(employee=seller, visitor_cookie="a", path="/", at=now - timedelta(days=2))
    record_visit(employee=seller, visitor_cookie="a", path="/", at=now - timedelta(minutes=1))
    record_visit(employee=seller, visitor_cookie="a", path="/", at=now)  # same hour (or the next): at most one more
    buyer = MemberFactory()
    orders = []
    for quantity in (1, 3):
        request = OrderRequest(channel=Channel.SHARE_LINK, fulfilment="pickup", fulfilment_location_id=store.pk,
                               lines=[LineRequest(sku.pk, quantity)], referrer=seller)  # fmt: skip
        orders.append(pay_online(place_order(actor=actor_for_member(buyer), member=buyer, request=request)))
    Order.objects.filter(pk=orders[0].pk).update(refunded_total=Decimal("10.00"))  # refunded in full
    Order.objects.filter(pk=orders[1].pk).update(refunded_total=Decimal("10.00"))  # one unit of three back
    Member.objects.filter(pk=buyer.pk).update(registration_channel="share_link", acquiring_employee=seller)
    idle = EmployeeFactory(home_location=store)

    figures = share_link_figures(employee_ids=[seller.pk, idle.pk], since=now - timedelta(hours=1),
                                 until=now + timedelta(minutes=1))  # fmt: skip

    recent = ShareVisit.objects.filter(at__gte=now - timedelta(hours=1)).count()
    assert figures[idle.pk] == Figures()
    assert figures[seller.pk] == Figures(visits=recent, visitors=1, members_acquired=1, orders=1,
                                         revenue=Decimal("20.00"))  # fmt: skip
    assert share_link_figures(since=now - timedelta(days=3), until=now - timedelta(days=1)) == {
        seller.pk: Figures(visits=1, visitors=1)
    }
