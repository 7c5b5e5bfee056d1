"""The desk's caller ticket (/service/tickets/new/), the inbox's search and the ticket header the
desk and the store's escalation page share, as agents, store staff and attackers use them."""

import re

import pytest
from django.test import Client

from o2o.access.actors import SYSTEM
from o2o.core.models import IdempotencyRecord, OutboxMessage
from o2o.inventory.services import receive_stock
from o2o.service.models import Ticket, TicketMessage
from o2o.staff.models import Role
from o2o.testing.factories import EmployeeFactory, MemberFactory, SKUFactory
from o2o.testing.journeys import paid_pickup_order
from o2o.web.tests.test_service_pages import escalated, open_ticket, staff_client

pytestmark = pytest.mark.django_db

NON_MEMBER = "+8613900001111"


@pytest.fixture
def agent():
    return EmployeeFactory(role=Role.CS_AGENT, home_location=None)


@pytest.fixture
def order(store, member):
    sku = SKUFactory()
    receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=5, actor=SYSTEM)
    return paid_pickup_order(member=member, store=store, sku=sku)


def form_key(client: Client) -> str:
    page = client.get("/service/tickets/new/")
    assert page.status_code == 200
    return re.search(r'name="key" value="([^"]+)"', page.content.decode()).group(1)


def caller_form(token: str, **changes) -> dict:
    return {
        "channel": "phone", "kind": "complaint", "priority": "high", "phone": "139 0000 1111", "order": "",
        "subject": "电话投诉", "body": "顾客来电说奶茶洒了", "key": token, **changes,
    }  # fmt: skip


def search(client: Client, q: str) -> list[int]:
    page = client.get("/service/", {"q": q})
    assert page.status_code == 200
    return sorted(int(n) for n in re.findall(r'data-ticket="(\d+)"', page.content.decode()))


# --- a ticket for a caller ---------------------------------------------------------------------------


def test_the_inbox_links_to_a_new_ticket(agent):
    page = staff_client(agent).get("/service/").content.decode()

    assert 'href="/service/tickets/new/" id="new-ticket"' in page


def test_a_double_submitted_caller_ticket_is_opened_once(agent):
    client = staff_client(agent)
    key = form_key(client)

    first = client.post("/service/tickets/new/", caller_form(key))
    second = client.post("/service/tickets/new/", caller_form(key))

    ticket = Ticket.objects.get()
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == f"/service/tickets/{ticket.pk}/"
    assert (ticket.channel, ticket.kind, ticket.priority) == ("phone", "complaint", "high")
    assert (ticket.member_id, ticket.phone, ticket.subject) == (None, NON_MEMBER, "电话投诉")
    note = TicketMessage.objects.get(ticket=ticket)
    assert (note.body, note.internal, note.author_id) == ("顾客来电说奶茶洒了", True, agent.pk)


def test_a_members_call_is_linked_to_the_member_and_their_order(agent, member, order):
    client = staff_client(agent)
    typed = member.phone.removeprefix("+86")  # as the caller says it

    response = client.post(
        "/service/tickets/new/", caller_form(form_key(client), phone=typed, order=order.number.lower())
    )

    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert (ticket.member_id, ticket.phone, ticket.order_id) == (member.pk, "", order.pk)


def test_another_members_order_is_a_form_error_and_nothing_is_written(agent, member, order):
    client = staff_client(agent)
    stranger = MemberFactory()
    messages_before = OutboxMessage.objects.count()  # the order's own "paid" notice

    theirs = client.post(
        "/service/tickets/new/", caller_form(form_key(client), phone=stranger.phone, order=order.number)
    )
    not_a_member = client.post("/service/tickets/new/", caller_form(form_key(client), order=order.number))
    unknown = client.post("/service/tickets/new/", caller_form(form_key(client), phone=member.phone, order="NOPE42"))

    assert theirs.status_code == not_a_member.status_code == unknown.status_code == 422
    errors = [response.context["form"].errors.as_data() for response in (theirs, not_a_member, unknown)]
    assert [sorted(e) for e in errors] == [["order"], ["order"], ["order"]]
    assert errors[0]["order"][0].message == errors[1]["order"][0].message != errors[2]["order"][0].message
    assert not Ticket.objects.exists() and not IdempotencyRecord.objects.exists()
    assert OutboxMessage.objects.count() == messages_before


@pytest.mark.parametrize(
    "changes",
    [{"phone": "12345"}, {"phone": "１３９０００"}, {"channel": "chat"}, {"kind": "rant"}, {"subject": " "},
     {"body": "x" * 4001}, {"key": ""}, {"priority": "\x00"}],
)  # fmt: skip
def test_bad_caller_forms_are_form_errors_and_write_nothing(agent, changes):
    client = staff_client(agent)

    response = client.post("/service/tickets/new/", caller_form(form_key(client), **changes))

    assert response.status_code == 422
    assert 'id="form-error"' in response.content.decode()
    assert not Ticket.objects.exists()


def test_only_the_desk_opens_caller_tickets_here(clerk, member):
    manager = EmployeeFactory(role=Role.STORE_MANAGER, home_location=clerk.home_location)

    for employee in (clerk, manager):
        assert staff_client(employee).get("/service/tickets/new/").status_code == 403
        posted = staff_client(employee).post("/service/tickets/new/", caller_form("k" * 20))
        assert posted.status_code == 403
    assert Client().get("/service/tickets/new/").status_code == 302
    assert not Ticket.objects.exists()


# --- the inbox's search --------------------------------------------------------------------------------


def test_search_finds_tickets_by_id_number_phone_and_order_number(agent, member, order):
    client = staff_client(agent)
    by_member = open_ticket(member, subject="会员的问题")
    about_order = open_ticket(member, subject="订单的问题", order=order)
    key = form_key(client)
    client.post("/service/tickets/new/", caller_form(key))
    by_caller = Ticket.objects.get(phone=NON_MEMBER)
    other = open_ticket(MemberFactory(), subject="别人的问题")

    assert search(client, str(other.pk)) == [other.pk]
    assert search(client, by_caller.number.lower()) == [by_caller.pk]
    assert search(client, member.phone.removeprefix("+86")) == [by_member.pk, about_order.pk]
    assert search(client, "+86 139-0000-1111") == [by_caller.pk]
    assert search(client, order.number) == [about_order.pk]
    assert search(client, "别人") == [other.pk]
    assert search(client, "13700000000") == []


def test_a_bad_search_is_no_error(agent, member):
    client = staff_client(agent)
    open_ticket(member)

    for q in ("x" * 101, "²³", "١٢٣", "\u202e138", "' OR 1=1 --", "%", "99999999999999999999999", "+"):
        page = client.get("/service/", {"q": q})
        assert page.status_code == 200, q
        assert 'data-ticket="' not in page.content.decode(), q
    assert 'role="alert"' in client.get("/service/", {"q": "x" * 101}).content.decode()  # "not understood"


def test_store_staff_cannot_search_the_inbox(clerk, member):
    ticket = open_ticket(member)

    manager = EmployeeFactory(role=Role.STORE_MANAGER, home_location=clerk.home_location)
    for employee in (clerk, manager):
        assert staff_client(employee).get("/service/", {"q": ticket.number}).status_code == 403


# --- the shared header ------------------------------------------------------------------------------


def test_the_desk_and_the_store_show_the_same_ticket_header(agent, member, order, clerk):
    ticket = escalated(open_ticket(member, order=order), agent, clerk.home_location)

    desk = staff_client(agent).get(f"/service/tickets/{ticket.pk}/").content.decode()
    store = staff_client(clerk).get(f"/manager/escalations/{ticket.pk}/").content.decode()

    for page in (desk, store):
        assert 'id="ticket-header"' in page
        assert f"{ticket.number} · {ticket.subject}</h1>" in page
        assert 'data-state="escalated"' in page
        assert order.number in page
        assert member.phone[-4:] in page and member.phone not in page  # masked
        assert 'class="sla ' in page or "data-sla" in page


# --- the store's nav badge ---------------------------------------------------------------------------


def test_the_store_nav_counts_the_tickets_waiting_for_it(agent, member, clerk, other_store):
    store = clerk.home_location
    escalated(open_ticket(member), agent, store)
    escalated(open_ticket(MemberFactory()), agent, store)
    escalated(open_ticket(MemberFactory()), agent, other_store)
    open_ticket(MemberFactory())  # never escalated
    other_clerk = EmployeeFactory(role=Role.CLERK, home_location=other_store)
    quiet_clerk = EmployeeFactory(role=Role.CLERK)

    mine = staff_client(clerk).get("/manager/escalations/count/")
    theirs = staff_client(other_clerk).get("/manager/escalations/count/")
    none = staff_client(quiet_clerk).get("/manager/escalations/count/")
    nav = staff_client(clerk).get("/manager/escalations/").content.decode()

    assert mine.status_code == 200
    assert re.search(r'id="escalation-count"[^>]*>2</span>', mine.content.decode())
    assert re.search(r'id="escalation-count"[^>]*>1</span>', theirs.content.decode())
    assert none.status_code == 204
    assert 'hx-get="/manager/escalations/count/"' in nav
    assert staff_client(agent).get("/manager/escalations/count/").status_code == 403
