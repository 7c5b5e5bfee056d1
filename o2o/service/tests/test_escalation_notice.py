"""A ticket escalated to a store: the store's managers and its store team's lead hear of it once
(o2o.service.notifications.escalated_to_store), another store's staff never."""

import pytest

from o2o.core.models import OutboxMessage
from o2o.service.models import Ticket, TicketState
from o2o.service.tests.test_tickets import agent
from o2o.staff.models import Role, Team
from o2o.testing.api import as_member, as_staff, problem_code
from o2o.testing.factories import EmployeeFactory, LocationFactory, MemberFactory

pytestmark = pytest.mark.django_db


def manager(store, email):
    return EmployeeFactory(role=Role.STORE_MANAGER, home_location=store, user__email=email)


def new_ticket() -> int:
    body = {"kind": "complaint", "subject": "奶茶洒了", "body": "杯子漏了"}
    response = as_member(MemberFactory()).post("service/my/tickets", body)
    assert response.status_code == 201, response.content
    return response.json()["id"]


def escalate(cs, ticket_id, store, reason="到店换货"):
    return as_staff(cs).post(f"service/tickets/{ticket_id}/escalate", {"location_id": store.pk, "reason": reason})


def notices() -> list[tuple[str, str, str]]:
    emails = OutboxMessage.objects.filter(channel="email").order_by("pk")
    return list(emails.values_list("recipient", "subject", "body"))


def test_escalation_tells_the_stores_manager_and_team_lead_once_and_no_other_store():
    store, other = LocationFactory(), LocationFactory()
    manager(store, "boss@store.example")
    lead = EmployeeFactory(role=Role.CLERK, home_location=store, user__email="lead@store.example")
    Team.objects.create(name="门店一组", kind=Team.Kind.STORE, location=store, lead=lead)
    manager(other, "boss@other.example")
    EmployeeFactory(role=Role.CLERK, home_location=store, user__email="clerk@store.example")  # not the lead
    EmployeeFactory(role=Role.STORE_MANAGER, home_location=store, user__email="gone@store.example", is_active=False)
    ticket_id = new_ticket()
    number = Ticket.objects.get(pk=ticket_id).number

    response = escalate(agent(), ticket_id, store)

    assert response.status_code == 200, response.content
    sent = notices()
    assert [recipient for recipient, _, _ in sent] == ["boss@store.example", "lead@store.example"]
    assert all(number in subject and number in body and "到店换货" in body for _, subject, body in sent)
    assert sent[0][1:] == sent[1][1:]


def test_a_retried_escalation_sends_no_second_notice():
    store = LocationFactory()
    manager(store, "boss@store.example")
    cs = agent()
    ticket_id = new_ticket()

    first = escalate(cs, ticket_id, store)
    again = escalate(cs, ticket_id, store)

    assert first.status_code == 200
    assert again.status_code == 409 and problem_code(again) == "conflict"
    assert [recipient for recipient, _, _ in notices()] == ["boss@store.example"]


def test_a_refused_escalation_tells_nobody():
    store, closed = LocationFactory(), LocationFactory(is_active=False)
    manager(store, "boss@store.example")
    manager(closed, "boss@closed.example")
    ticket_id = new_ticket()

    blank = escalate(agent(), ticket_id, store, reason=" ")
    to_closed = escalate(agent(), ticket_id, closed)
    by_clerk = escalate(EmployeeFactory(role=Role.CLERK, home_location=store), ticket_id, store)

    assert [blank.status_code, to_closed.status_code, by_clerk.status_code] == [422, 422, 403]
    assert Ticket.objects.get(pk=ticket_id).state == TicketState.NEW
    assert notices() == []


def test_an_escalation_after_the_store_returned_it_is_a_new_one_and_told_again():
    store = LocationFactory()
    boss = manager(store, "boss@store.example")
    cs = agent()
    ticket_id = new_ticket()
    escalate(cs, ticket_id, store)

    back = as_staff(boss).post(f"service/escalations/{ticket_id}/return", {"note": "请线上处理"})
    again = escalate(cs, ticket_id, store, reason="顾客要求到店")

    assert back.status_code == 200, back.content
    assert again.status_code == 200
    bodies = [body for _, _, body in notices()]
    assert len(bodies) == 2 and "到店换货" in bodies[0] and "顾客要求到店" in bodies[1]
