"""Tickets through the API: opening from every channel, the acknowledgement, replies and notes,
authorization (members their own, agents all, stores their escalations), bad input."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from o2o.access.actors import SYSTEM
from o2o.core.models import IdempotencyRecord, OutboxMessage
from o2o.inventory.services import receive_stock
from o2o.service.models import AgentPresence, Ticket, TicketEvent, TicketMessage
from o2o.staff.models import Role, Team
from o2o.testing.api import as_member, as_staff, problem_code
from o2o.testing.factories import EmployeeFactory, LocationFactory, MemberFactory, SKUFactory
from o2o.testing.journeys import place_pickup_order

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday


# --- helpers the other ticket test modules share ------------------------------------------------------


def agent(**kwargs):
    return EmployeeFactory(role=Role.CS_AGENT, home_location=None, **kwargs)


def available(employee, *, capacity: int = 20, last=None):
    return AgentPresence.objects.create(employee=employee, available=True, max_open_tickets=capacity,
                                        last_assigned_at=last)  # fmt: skip


def order_of(member, store=None):
    store = store or LocationFactory()
    sku = SKUFactory()
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=sku.pk, quantity=5)
    return place_pickup_order(member=member, store=store, sku=sku)


def open_chat(member, *, kind="inquiry", subject="Where is my order?", body="It has not arrived", **extra):
    response = as_member(member).post("service/my/tickets", {"kind": kind, "subject": subject, "body": body, **extra})
    assert response.status_code == 201, response.content
    return response.json()


def staff_call(employee, path, body=None):
    return as_staff(employee).post(path, body or {})


# --- opening ------------------------------------------------------------------------------------------


def test_a_member_opens_a_chat_from_their_order_and_is_acknowledged_at_once():
    # given: a member's order at a store
    member, store = MemberFactory(), LocationFactory()
    order = order_of(member, store)

    # when: they contact us from the order page
    with time_machine.travel(T0, tick=False):
        opened = open_chat(member, order_id=order.pk)

    # then: the ticket is about that order and store, acknowledged by one automatic message
    ticket = Ticket.objects.get(pk=opened["id"])
    assert (ticket.channel, ticket.kind, ticket.state, ticket.order_id, ticket.location_id) == (
        "chat", "inquiry", "new", order.pk, store.pk,
    )  # fmt: skip
    assert ticket.first_response_due_at == T0 + timedelta(minutes=5)
    assert ticket.resolution_due_at == T0 + timedelta(minutes=240)
    assert [(m["author_kind"], m["body"][:12]) for m in opened["messages"]] == [
        ("customer", "It has not a"),
        ("system", "我们已收到您的消息（工单"),
    ]
    assert ticket.number in opened["messages"][1]["body"]
    assert list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True)) == [
        "created",
        "acknowledged",
    ]
    assert len(ticket.number) == 8


def test_a_retried_send_with_the_same_idempotency_key_opens_one_ticket():
    member = MemberFactory()
    body = {"kind": "inquiry", "subject": "Opening hours", "body": "When do you open?"}
    client = as_member(member)

    first = client.post("service/my/tickets", body, headers={"Idempotency-Key": "send-1"})
    second = client.post("service/my/tickets", body, headers={"Idempotency-Key": "send-1"})

    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] == second.json()["id"]
    assert Ticket.objects.count() == 1
    assert TicketMessage.objects.filter(author_kind="system").count() == 1


def test_someone_elses_order_is_a_404_and_nothing_is_written():
    order = order_of(MemberFactory())

    response = as_member(MemberFactory()).post(
        "service/my/tickets", {"kind": "complaint", "subject": "x", "body": "y", "order_id": order.pk}
    )

    assert response.status_code == 404
    assert problem_code(response) == "not_found"
    assert (Ticket.objects.count(), TicketMessage.objects.count(), IdempotencyRecord.objects.count()) == (0, 0, 0)


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "gossip", "subject": "x", "body": "y"},
        {"kind": "inquiry", "subject": "", "body": "y"},
        {"kind": "inquiry", "subject": "x", "body": ""},
        {"kind": "inquiry", "subject": "x" * 201, "body": "y"},
        {"kind": "inquiry", "subject": "x", "body": "y", "order_id": 0},
        {"kind": "inquiry", "subject": "x", "body": "y", "order_id": "abc"},
        {"kind": "inquiry", "subject": "x", "body": "y", "sku_id": 2**70},
        {"kind": "inquiry", "subject": "   ", "body": "y"},
    ],
)
def test_bad_input_is_a_422_and_writes_nothing(body):
    response = as_member(MemberFactory()).post("service/my/tickets", body)

    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert Ticket.objects.count() == 0


def test_an_unknown_product_is_a_404():
    response = as_member(MemberFactory()).post(
        "service/my/tickets", {"kind": "inquiry", "subject": "x", "body": "y", "sku_id": 999999}
    )

    assert response.status_code == 404
    assert Ticket.objects.count() == 0


def test_a_chat_about_a_product_keeps_the_product():
    sku = SKUFactory()

    opened = open_chat(MemberFactory(), subject="Size?", body="Is it 500ml?", sku_id=sku.pk)

    assert Ticket.objects.get(pk=opened["id"]).sku_id == sku.pk


def test_anonymous_is_401_and_staff_cannot_use_the_members_endpoints():
    body = {"kind": "inquiry", "subject": "x", "body": "y"}
    from o2o.testing.api import ApiClient

    assert ApiClient().post("service/my/tickets", body).status_code == 401
    assert ApiClient().get("service/tickets").status_code == 401
    assert as_staff(agent()).post("service/my/tickets", body).status_code == 403
    assert Ticket.objects.count() == 0


def test_an_agent_opens_a_ticket_for_a_phone_caller_who_is_a_member():
    # given: a caller whose phone belongs to a member; an online team with business hours unset
    member = MemberFactory(phone="+8613800001111")
    team = Team.objects.create(name="线上客服", kind=Team.Kind.ONLINE)
    cs = agent()

    response = staff_call(cs, "service/tickets", {
        "channel": "phone", "kind": "complaint", "priority": "high", "subject": "Rude clerk",
        "body": "Caller says the clerk was rude", "phone": "138 0000 1111",
    })  # fmt: skip

    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get(pk=response.json()["id"])
    assert (ticket.member_id, ticket.phone, ticket.team_id, ticket.priority) == (member.pk, "", team.pk, "high")
    # what the caller said is a note for staff: no acknowledgement, nothing for the customer
    assert list(ticket.messages.values_list("author_kind", "internal")) == [("agent", True)]
    assert response.json()["customer"] == member.name


def test_a_caller_who_is_not_a_member_is_kept_by_phone_and_bad_phones_are_422():
    cs = agent()
    body = {"channel": "phone", "kind": "inquiry", "subject": "Hours", "body": "When do you open?"}

    bad = staff_call(cs, "service/tickets", {**body, "phone": "12345"})
    none = staff_call(cs, "service/tickets", body)
    chat = staff_call(cs, "service/tickets", {**body, "channel": "chat", "phone": "13900002222"})
    good = staff_call(cs, "service/tickets", {**body, "phone": "13900002222"})

    assert (bad.status_code, none.status_code, chat.status_code, good.status_code) == (422, 422, 422, 201)
    assert Ticket.objects.get().phone == "+8613900002222"
    assert good.json()["customer"] == "+86139****2222"


def test_a_clerk_opens_an_in_store_ticket_at_their_own_store_only():
    store, elsewhere = LocationFactory(), LocationFactory()
    clerk = EmployeeFactory(role=Role.CLERK, home_location=store)
    member = MemberFactory()
    body = {"channel": "in_store", "kind": "after_sale", "subject": "Broken", "body": "Cap broken",
            "member_id": member.pk}  # fmt: skip

    own = staff_call(clerk, "service/tickets", body)
    other = staff_call(clerk, "service/tickets", {**body, "location_id": elsewhere.pk})

    assert own.status_code == 201
    assert Ticket.objects.get().location_id == store.pk
    assert other.status_code == 404
    assert Ticket.objects.count() == 1


# --- the conversation ---------------------------------------------------------------------------------


def test_an_agents_first_public_reply_is_the_first_response_and_tells_the_customer():
    member = MemberFactory()
    cs = agent()
    available(cs)
    with time_machine.travel(T0, tick=False):
        opened = open_chat(member)
    ticket_id = opened["id"]

    with time_machine.travel(T0 + timedelta(minutes=3), tick=False):
        note = staff_call(cs, f"service/tickets/{ticket_id}/messages", {"body": "VIP, be nice", "internal": True})
        answer = staff_call(cs, f"service/tickets/{ticket_id}/messages", {"body": "It ships today"})
    with time_machine.travel(T0 + timedelta(minutes=4), tick=False):
        again = staff_call(cs, f"service/tickets/{ticket_id}/messages", {"body": "Tracking: SF123"})

    assert (note.status_code, answer.status_code, again.status_code) == (201, 201, 201)
    ticket = Ticket.objects.get(pk=ticket_id)
    assert ticket.first_response_at == T0 + timedelta(minutes=3)
    assert TicketEvent.objects.filter(ticket=ticket, kind="first_response").count() == 1
    # two notifications (one per public reply), each naming the ticket and never the text
    texts = list(OutboxMessage.objects.filter(recipient=member.phone).values_list("body", flat=True))
    assert len(texts) == 2
    assert all(ticket.number in text and "VIP" not in text and "SF123" not in text for text in texts)
    # the customer's view never shows the note
    seen = as_member(member).get(f"service/my/tickets/{ticket_id}").json()["messages"]
    assert [m["body"] for m in seen] == [opened["messages"][0]["body"], opened["messages"][1]["body"],
                                         "It ships today", "Tracking: SF123"]  # fmt: skip
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        staff_view = as_staff(cs).get(f"service/tickets/{ticket_id}").json()
    assert [m["internal"] for m in staff_view["messages"]] == [False, False, True, False, False]
    assert staff_view["sla_state"] == "on_track"


def test_a_public_reply_on_a_new_ticket_takes_it_for_the_agent():
    opened = open_chat(MemberFactory())
    cs = agent()

    staff_call(cs, f"service/tickets/{opened['id']}/messages", {"body": "Hello"})

    ticket = Ticket.objects.get(pk=opened["id"])
    assert (ticket.state, ticket.assignee_id) == ("open", cs.pk)


def test_polling_returns_only_messages_after_the_given_id():
    member = MemberFactory()
    opened = open_chat(member)
    last = opened["messages"][-1]["id"]
    staff_call(agent(), f"service/tickets/{opened['id']}/messages", {"body": "Reply one"})

    newer = as_member(member).get(f"service/my/tickets/{opened['id']}/messages", after_id=last).json()

    assert [m["body"] for m in newer] == ["Reply one"]


def test_a_link_to_an_unknown_article_is_a_404_and_writes_nothing():
    opened = open_chat(MemberFactory())

    response = staff_call(agent(), f"service/tickets/{opened['id']}/messages", {"body": "See", "article_id": 99999})

    assert response.status_code == 404
    assert TicketMessage.objects.filter(author_kind="agent").count() == 0


def test_a_reply_links_a_knowledge_article():
    from o2o.knowledge.models import Article

    article = Article.objects.create(title="Returns", body="Within 7 days")
    opened = open_chat(MemberFactory())

    reply = {"body": "See", "article_id": article.pk}
    response = staff_call(agent(), f"service/tickets/{opened['id']}/messages", reply)

    assert response.status_code == 201
    assert response.json()["article_id"] == article.pk


def test_members_see_only_their_own_tickets():
    mine, theirs = MemberFactory(), MemberFactory()
    own = open_chat(mine)
    other = open_chat(theirs)

    listed = as_member(mine).get("service/my/tickets").json()["results"]
    peek = as_member(mine).get(f"service/my/tickets/{other['id']}")
    write = as_member(mine).post(f"service/my/tickets/{other['id']}/messages", {"body": "hi"})

    assert [t["id"] for t in listed] == [own["id"]]
    assert (peek.status_code, write.status_code) == (404, 404)
    assert TicketMessage.objects.filter(ticket_id=other["id"]).count() == 2


def test_roles_outside_customer_service_cannot_read_the_inbox():
    store = LocationFactory()
    open_chat(MemberFactory())

    for role in (Role.CLERK, Role.STORE_MANAGER, Role.MARKETER, Role.TECHNICIAN):
        response = as_staff(EmployeeFactory(role=role, home_location=store)).get("service/tickets")
        assert response.status_code == 403, role
    assert as_member(MemberFactory()).get("service/tickets").status_code == 403
    assert as_staff(EmployeeFactory(role=Role.CLERK, home_location=store)).get("service/tickets/1").status_code in (
        403,
        404,
    )
