"""The customer 360 pages (/service/customers/) as an agent and as attackers: the phone search, one
member's page (orders online and in store, tickets, coupons, tags, notes) read with a fixed number
of queries, the tag and note forms, the masked phone and who may see whom."""

import itertools
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from o2o.access.actors import SYSTEM, actor_for_member, actor_for_user
from o2o.coupons.services import create_template, grant_remedy_coupon
from o2o.inventory.services import receive_stock
from o2o.marketing.models import Segment, TagRule
from o2o.members.models import MemberNote, MemberTag
from o2o.payments.services import take_in_store_payment
from o2o.service import services as tickets
from o2o.service.models import Ticket
from o2o.service.services import TicketRequest
from o2o.staff.models import Role
from o2o.testing.factories import EmployeeFactory, MemberFactory, SKUFactory
from o2o.testing.journeys import paid_pickup_order, place_counter_sale
from o2o.web.auth import MEMBER_SESSION_KEY

pytestmark = pytest.mark.django_db
_numbers = itertools.count(1)
PHONE = "+8613812345678"
MASKED = "+86138****5678"


def staff_client(employee) -> Client:
    client = Client()
    client.force_login(employee.user)
    return client


@pytest.fixture
def agent():
    return EmployeeFactory(role=Role.CS_AGENT, home_location=None)


@pytest.fixture
def manager(store):
    return EmployeeFactory(role=Role.STORE_MANAGER, home_location=store)


@pytest.fixture
def sku(store):
    sku = SKUFactory(price=Decimal("12.34"))
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=sku.pk, quantity=500)
    return sku


@pytest.fixture
def customer(store):
    return MemberFactory(phone=PHONE, name="韩梅梅", acquiring_location=store)


def _ticket(member) -> Ticket:
    now = timezone.now()
    return Ticket.objects.create(
        number=f"T{next(_numbers):08d}", channel="chat", kind="complaint", state="new", subject="送货慢",
        member=member, first_response_due_at=now + timedelta(minutes=5), resolution_due_at=now + timedelta(days=1),
    )  # fmt: skip


def _history(member, store, clerk, sku, orders: int) -> None:
    """`orders` paid orders online and as many at the counter, a ticket and a coupon each, a tag, a note."""
    template = create_template(actor=SYSTEM, name="致歉券", kind="amount_off", amount=Decimal("5.00"), valid_days=30,
                               per_member_limit=50)  # fmt: skip
    for n in range(orders):
        paid_pickup_order(member=member, store=store, sku=sku)
        sale = place_counter_sale(clerk=clerk, sku=sku, member=member, quantity=2)
        take_in_store_payment(actor=actor_for_user(clerk.user), order=sale, method="cash")
        _ticket(member)
        grant_remedy_coupon(actor=SYSTEM, template_id=template.pk, member_id=member.pk, reason=f"ticket:{n}")
    MemberTag.objects.create(member=member, tag="VIP", source="manual", added_by=clerk.user)
    MemberNote.objects.create(member=member, body="喜欢电话联系", author=clerk.user)


def _page(client, member) -> str:
    response = client.get(f"/service/customers/{member.pk}/")
    assert response.status_code == 200
    return response.content.decode()


# --- the search box --------------------------------------------------------------------------------


def test_an_agent_finds_a_member_by_phone_however_typed_and_lands_on_their_page(agent, customer):
    response = staff_client(agent).get("/service/customers/", {"phone": "138 1234 5678"})

    assert response.status_code == 302
    assert response["Location"] == f"/service/customers/{customer.pk}/"


def test_an_unknown_phone_gets_a_message_and_a_bad_one_a_form_error(agent, customer):
    client = staff_client(agent)

    unknown = client.get("/service/customers/", {"phone": "13900000000"})
    junk = client.get("/service/customers/", {"phone": "not a phone"})
    blank = client.get("/service/customers/")

    assert unknown.status_code == 200 and 'id="no-customer"' in unknown.content.decode()
    assert junk.status_code == 422 and 'id="phone-error"' in junk.content.decode()
    assert blank.status_code == 200 and 'id="no-customer"' not in blank.content.decode()


def test_another_stores_customer_is_not_found_like_a_missing_one(other_store, customer):
    stranger = staff_client(EmployeeFactory(role=Role.STORE_MANAGER, home_location=other_store))

    theirs = stranger.get("/service/customers/", {"phone": PHONE})
    missing = stranger.get("/service/customers/", {"phone": "13900000000"})

    assert theirs.status_code == missing.status_code == 200
    assert 'id="no-customer"' in theirs.content.decode()
    assert theirs.content.decode().replace(PHONE, "").count("韩梅梅") == 0


# --- one member's page -------------------------------------------------------------------------------


def test_the_page_shows_orders_online_and_in_store_tickets_coupons_tags_and_notes(agent, customer, store, clerk, sku):
    _history(customer, store, clerk, sku, orders=2)

    html = _page(staff_client(agent), customer)

    assert "韩梅梅" in html and MASKED in html and PHONE not in html
    assert re.search(r'id="online-totals">2 [^<]*¥24.68<', html)
    assert re.search(r'id="in-store-totals">2 [^<]*¥49.36<', html)
    assert 'id="spent">¥74.04<' in html
    assert html.count('data-channel="app"') == 2 and html.count('data-channel="pos"') == 2
    assert store.name in html
    for ticket in Ticket.objects.filter(member=customer):
        assert f'href="/service/tickets/{ticket.pk}/"' in html
    assert html.count("data-coupon=") == 2 and "致歉券" in html
    assert 'data-tag="VIP"' in html
    assert "喜欢电话联系" in html and clerk.display_name in html


def test_the_page_reads_the_same_number_of_queries_however_long_the_history(agent, store, clerk, sku):
    short, long = MemberFactory(acquiring_location=store), MemberFactory(acquiring_location=store)
    _history(short, store, clerk, sku, orders=1)
    _history(long, store, clerk, sku, orders=8)
    client = staff_client(agent)
    _page(client, short)  # the session's first read out of the way

    counts = []
    for member in (short, long):
        with CaptureQueriesContext(connection) as queries:
            _page(client, member)
        counts.append(len(queries))

    assert counts[0] == counts[1] == 18  # session, user, employee and the 15 reads of the 360, none by the page


def test_the_full_number_only_after_the_post(agent, customer):
    client = staff_client(agent)

    before = _page(client, customer)
    shown = client.post(f"/service/customers/{customer.pk}/phone/")
    by_get = client.get(f"/service/customers/{customer.pk}/phone/")

    assert PHONE not in before and 'id="reveal-phone"' in before
    assert shown.status_code == 200 and PHONE in shown.content.decode()
    assert shown["Cache-Control"] == "no-store"
    assert by_get.status_code == 405


# --- tags and notes ------------------------------------------------------------------------------------


def test_a_tag_added_twice_is_one_tag_and_comes_off_again(agent, customer):
    client = staff_client(agent)
    url = f"/service/customers/{customer.pk}/tags/"

    first = client.post(url, {"tag": "  老客户  "})
    second = client.post(url, {"tag": "老客户"})

    assert first.status_code == second.status_code == 302
    assert first["Location"] == f"/service/customers/{customer.pk}/"
    assert list(MemberTag.objects.filter(member=customer).values_list("tag", "source", "added_by")) == [
        ("老客户", "manual", agent.user.pk)
    ]
    assert 'data-tag="老客户"' in _page(client, customer)

    removed = client.post(f"/service/customers/{customer.pk}/tags/remove/", {"tag": "老客户"})
    again = client.post(f"/service/customers/{customer.pk}/tags/remove/", {"tag": "老客户"})

    assert removed.status_code == again.status_code == 302
    assert not MemberTag.objects.filter(member=customer).exists()


def test_a_rules_tag_cannot_be_removed_by_hand(agent, customer):
    rule = TagRule.objects.create(tag="高价值", segment=Segment.objects.create(name="高价值客户"))
    MemberTag.objects.create(member=customer, tag="高价值", source="rule", rule_id=rule.pk)

    response = staff_client(agent).post(f"/service/customers/{customer.pk}/tags/remove/", {"tag": "高价值"})

    assert response.status_code == 409 and 'id="action-error"' in response.content.decode()
    assert MemberTag.objects.filter(member=customer, tag="高价值").exists()


def test_a_note_is_added_and_shown_with_its_author(agent, customer):
    client = staff_client(agent)

    response = client.post(f"/service/customers/{customer.pk}/notes/", {"body": "  下午三点后回电  "})

    assert response.status_code == 302
    note = MemberNote.objects.get(member=customer)
    assert (note.body, note.author_id) == ("下午三点后回电", agent.user.pk)
    html = _page(client, customer)
    assert f'data-note="{note.pk}"' in html and agent.display_name in html


@pytest.mark.parametrize(
    ("path", "data"),
    [("notes", {"body": "   "}), ("notes", {}), ("notes", {"body": "长" * 2001}), ("tags", {"tag": "x" * 41}),
     ("tags", {"tag": ""}), ("tags", {"tag": "a\u0000b"})],
)  # fmt: skip
def test_an_empty_note_or_a_bad_tag_is_a_form_error_and_writes_nothing(agent, customer, path, data):
    response = staff_client(agent).post(f"/service/customers/{customer.pk}/{path}/", data)

    assert response.status_code == 422
    assert 'id="action-error"' in response.content.decode()
    assert not MemberTag.objects.filter(member=customer).exists()
    assert not MemberNote.objects.filter(member=customer).exists()


# --- who may see whom ---------------------------------------------------------------------------------


def test_members_and_anonymous_visitors_are_refused(customer):
    member = Client()
    session = member.session
    session[MEMBER_SESSION_KEY] = customer.pk
    session.save()
    urls = ("/service/customers/", f"/service/customers/{customer.pk}/")
    posts = ("tags/", "notes/", "phone/", "tags/remove/")

    for url in urls:
        for client in (member, Client()):
            response = client.get(url)
            assert response.status_code == 302 and "/login" in response["Location"], url
    for post in posts:
        url = f"/service/customers/{customer.pk}/{post}"
        assert member.post(url, {"tag": "x", "body": "x"}).status_code == 302, url
        assert Client().post(url, {"tag": "x", "body": "x"}).status_code == 302, url
    assert not MemberTag.objects.filter(member=customer).exists()
    assert not MemberNote.objects.filter(member=customer).exists()


def test_a_clerk_reads_and_notes_their_stores_customer_but_may_not_tag_or_see_the_number(clerk, customer,
                                                                                         other_store):  # fmt: skip
    client = staff_client(clerk)
    elsewhere = MemberFactory(acquiring_location=other_store)

    html = _page(client, customer)
    theirs = client.get(f"/service/customers/{elsewhere.pk}/")
    tagged = client.post(f"/service/customers/{customer.pk}/tags/", {"tag": "VIP"})
    revealed = client.post(f"/service/customers/{customer.pk}/phone/")
    noted = client.post(f"/service/customers/{customer.pk}/notes/", {"body": "到店咨询过机油"})

    assert MASKED in html and PHONE not in html and 'id="reveal-phone"' not in html
    assert theirs.status_code == 404
    assert (tagged.status_code, revealed.status_code, noted.status_code) == (403, 403, 302)
    assert not MemberTag.objects.filter(member=customer).exists()
    assert MemberNote.objects.get(member=customer).body == "到店咨询过机油"


def test_a_store_manager_sees_their_stores_customer_masked_and_another_stores_as_404(manager, other_store, customer):
    elsewhere = MemberFactory(acquiring_location=other_store)
    client = staff_client(manager)

    html = _page(client, customer)
    theirs = client.get(f"/service/customers/{elsewhere.pk}/")
    missing = client.get("/service/customers/999999/")
    tag_there = client.post(f"/service/customers/{elsewhere.pk}/tags/", {"tag": "VIP"})
    note_there = client.post(f"/service/customers/{elsewhere.pk}/notes/", {"body": "hi"})
    bad_tag_there = client.post(f"/service/customers/{elsewhere.pk}/tags/", {"tag": "x" * 41})
    phone = client.post(f"/service/customers/{customer.pk}/phone/")

    assert MASKED in html and PHONE not in html and 'id="reveal-phone"' not in html
    assert (theirs.status_code, missing.status_code) == (404, 404)
    assert (tag_there.status_code, note_there.status_code, bad_tag_there.status_code) == (404, 404, 404)
    assert phone.status_code == 403
    assert not MemberTag.objects.filter(member=elsewhere).exists()
    assert not MemberNote.objects.filter(member=elsewhere).exists()
    assert client.post(f"/service/customers/{customer.pk}/tags/", {"tag": "常客"}).status_code == 302
    assert MemberTag.objects.filter(member=customer, tag="常客").count() == 1


@pytest.mark.parametrize("member_id", ["0", str(2**64)])
def test_junk_ids_are_404_not_500(agent, member_id):
    client = staff_client(agent)

    assert client.get(f"/service/customers/{member_id}/").status_code == 404
    assert client.post(f"/service/customers/{member_id}/tags/", {"tag": "x"}).status_code == 404


def test_the_ticket_page_links_the_customer_to_their_360(agent, customer):
    ticket = tickets.open_ticket(
        actor=actor_for_member(customer), request=TicketRequest(kind="inquiry", subject="问", body="问")
    )

    html = staff_client(agent).get(f"/service/tickets/{ticket.pk}/").content.decode()

    assert f'href="/service/customers/{customer.pk}/" id="customer-360">韩梅梅</a>' in html
