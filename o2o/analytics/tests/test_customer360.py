"""The customer 360 through GET /api/v1/customers/{id}/360 and the phone search: what it shows (to
the fen), who may see whom (a store's staff only their store's customers, masked phone), and a
fixed number of queries however long the member's history."""

import itertools
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from o2o.access.actors import SYSTEM, actor_for_user
from o2o.coupons.services import create_template, grant_remedy_coupon
from o2o.inventory.services import receive_stock
from o2o.members.models import MemberNote, MemberTag
from o2o.payments.services import take_in_store_payment
from o2o.privacy.models import MarketingConsentRecord
from o2o.service.models import Ticket
from o2o.staff.models import Role
from o2o.testing.api import ApiClient, as_member
from o2o.testing.factories import EmployeeFactory, MemberFactory, SKUFactory
from o2o.testing.journeys import paid_pickup_order, place_counter_sale, place_pickup_order

pytestmark = pytest.mark.django_db
_numbers = itertools.count(1)


@pytest.fixture
def agent():
    return EmployeeFactory(role=Role.CS_AGENT, home_location=None)


@pytest.fixture
def sku(store):
    sku = SKUFactory(price=Decimal("12.34"))
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=sku.pk, quantity=500)
    return sku


def _ticket(member, state="new") -> Ticket:
    now = timezone.now()
    return Ticket.objects.create(
        number=f"T{next(_numbers):08d}", channel="chat", kind="complaint", state=state, subject="送货慢",
        member=member, first_response_due_at=now + timedelta(minutes=5), resolution_due_at=now + timedelta(days=1),
    )  # fmt: skip


def _in_store_sale(clerk, sku, member):
    order = place_counter_sale(clerk=clerk, sku=sku, member=member, quantity=2)
    return take_in_store_payment(actor=actor_for_user(clerk.user), order=order, method="cash")


def _history(member, store, clerk, sku, orders: int) -> None:
    """Orders online and in store, one unpaid, tickets, coupons, a tag, a note, consent records."""
    for _ in range(orders):
        paid_pickup_order(member=member, store=store, sku=sku)
        _in_store_sale(clerk, sku, member)
        _ticket(member)
    place_pickup_order(member=member, store=store, sku=sku)
    template = create_template(actor=SYSTEM, name="致歉券", kind="amount_off", amount=Decimal("5.00"), valid_days=30,
                               per_member_limit=50)  # fmt: skip
    for n in range(orders):
        grant_remedy_coupon(actor=SYSTEM, template_id=template.pk, member_id=member.pk, reason=f"ticket:{n}")
    MemberTag.objects.create(member=member, tag="VIP", source="manual", added_by=clerk.user)
    MemberNote.objects.create(member=member, body="喜欢电话联系", author=clerk.user)
    MarketingConsentRecord.objects.create(member=member, given=True, at=timezone.now(), source="pos")


def test_the_360_shows_online_and_in_store_orders_with_totals_to_the_fen(agent, store, clerk, sku):
    member = MemberFactory(phone="+8613812345678")
    _history(member, store, clerk, sku, orders=2)

    response = ApiClient(user=agent.user).get(f"customers/{member.pk}/360")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["member"]["phone"] == "+8613812345678"  # customer service calls back
    totals = body["totals"]
    assert (totals["orders"], totals["online_orders"], totals["in_store_orders"]) == (4, 2, 2)
    assert (totals["online_spent"], totals["in_store_spent"], totals["spent"]) == ("24.68", "49.36", "74.04")
    assert {c["channel"]: (c["orders"], c["spent"]) for c in totals["by_channel"]} == {
        "app": (2, "24.68"),
        "pos": (2, "49.36"),
    }
    assert len(body["orders"]) == 5  # the unpaid one is listed, not counted
    assert body["orders"][0]["state"] == "pending_payment"
    assert (body["open_tickets"], body["all_tickets"], len(body["tickets"])) == (2, 2, 2)
    assert (body["coupons_held"], body["coupons_used"], len(body["coupons"])) == (2, 0, 2)
    assert [(t["tag"], t["source"]) for t in body["tags"]] == [("VIP", "manual")]
    assert [(n["body"], n["author"]) for n in body["notes"]] == [("喜欢电话联系", clerk.display_name)]
    assert [(c["given"], c["source"]) for c in body["consent_history"]] == [(True, "pos")]
    assert body["balances"]["wallet_principal"] == "0.00"


def test_the_360_reads_a_fixed_number_of_queries_however_long_the_history(agent, store, clerk, sku):
    short, long = MemberFactory(), MemberFactory()
    _history(short, store, clerk, sku, orders=1)
    _history(long, store, clerk, sku, orders=12)
    api = ApiClient(user=agent.user)

    counts = []
    for member in (short, long):
        with CaptureQueriesContext(connection) as queries:
            assert api.get(f"customers/{member.pk}/360").status_code == 200
        counts.append(len(queries))

    assert counts[0] == counts[1]
    assert counts[1] == 16  # the caller (its token with user and employee record: one) and the 360's reads


def test_a_clerk_sees_the_stores_customers_with_the_phone_masked(store, clerk, sku):
    bought_here = MemberFactory(phone="+8613812345678")
    paid_pickup_order(member=bought_here, store=store, sku=sku)
    joined_here = MemberFactory(acquiring_location=store)
    api = ApiClient(user=clerk.user)

    bought = api.get(f"customers/{bought_here.pk}/360")
    joined = api.get(f"customers/{joined_here.pk}/360")
    phone = api.get(f"customers/{bought_here.pk}/phone")

    assert bought.status_code == 200
    assert bought.json()["member"]["phone"] != "+8613812345678"
    assert "5678" in bought.json()["member"]["phone"] and "1234" not in bought.json()["member"]["phone"]
    assert joined.status_code == 200
    assert phone.status_code == 403


def test_another_stores_clerk_gets_the_same_404_as_for_a_missing_member(store, other_store, sku):
    customer = MemberFactory(acquiring_location=store)
    paid_pickup_order(member=customer, store=store, sku=sku)
    stranger = ApiClient(user=EmployeeFactory(home_location=other_store).user)

    theirs = stranger.get(f"customers/{customer.pk}/360")
    missing = stranger.get("customers/999999/360")
    search = stranger.get("customers/search", phone=customer.phone)

    assert (theirs.status_code, missing.status_code, search.status_code) == (404, 404, 404)
    assert theirs.json()["code"] == missing.json()["code"] == "not_found"


@pytest.mark.parametrize("member_id", ["0", "-1", str(2**64), "abc", "1.5"])
def test_junk_ids_are_refused_without_a_500(agent, member_id):
    response = ApiClient(user=agent.user).get(f"customers/{member_id}/360")

    assert response.status_code in (404, 422)


def test_anonymous_callers_members_and_marketers_see_nothing(store):
    customer = MemberFactory(acquiring_location=store)
    marketer = EmployeeFactory(role=Role.MARKETER, home_location=None)

    anonymous = ApiClient().get(f"customers/{customer.pk}/360")
    themselves = as_member(customer).get(f"customers/{customer.pk}/360")
    marketing = ApiClient(user=marketer.user).get(f"customers/{customer.pk}/360")

    assert (anonymous.status_code, themselves.status_code, marketing.status_code) == (401, 403, 403)


def test_the_search_finds_a_member_by_phone_however_typed(agent):
    customer = MemberFactory(phone="+8613812345678", name="李雷")
    api = ApiClient(user=agent.user)

    found = api.get("customers/search", phone="138 1234 5678")
    unknown = api.get("customers/search", phone="13900000000")
    junk = api.get("customers/search", phone="not a phone")

    assert (found.status_code, found.json()["id"], found.json()["name"]) == (200, customer.pk, "李雷")
    assert unknown.status_code == 404
    assert junk.status_code in (400, 422)
