"""Feedback attribution through the API, and the counts per employee and team over a period."""

from datetime import timedelta

import pytest
from django.utils import timezone

from o2o.service.feedback import FeedbackCounts, feedback_by_employee, feedback_by_team
from o2o.service.models import Ticket, TicketEvent
from o2o.service.tests.test_complaints import make_ticket
from o2o.staff.models import Role, Team
from o2o.testing.api import as_member, as_staff, problem_code
from o2o.testing.factories import EmployeeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent():
    return EmployeeFactory(role=Role.CS_AGENT)


@pytest.fixture
def team(store):
    return Team.objects.create(name="人民广场店", kind="store", location=store)


def _attribute(client, ticket, body):
    return client.post(f"service/tickets/{ticket.pk}/attribution", body)


def test_praise_is_credited_to_the_employee_and_their_team(agent, store, team):
    clerk = EmployeeFactory(role=Role.CLERK, home_location=store, team=team)
    ticket = make_ticket(kind="praise")

    response = _attribute(as_staff(agent), ticket, {"employee_id": clerk.pk})

    assert response.status_code == 200, response.content
    assert response.json() == {
        "ticket_id": ticket.pk,
        "kind": "praise",
        "concerned_employee_id": clerk.pk,
        "concerned_team_id": team.pk,
    }
    event = TicketEvent.objects.get(ticket=ticket)
    assert (event.kind, event.actor_id) == ("attributed", agent.pk)
    assert event.detail == {
        "employee_id": clerk.pk,
        "team_id": team.pk,
        "previous": {"employee_id": None, "team_id": None},
    }


def test_a_team_alone_may_be_named_and_a_change_keeps_the_previous_in_the_history(agent, store, team):
    clerk = EmployeeFactory(role=Role.CLERK, home_location=store, team=team)
    ticket = make_ticket(kind="suggestion")
    client = as_staff(agent)
    _attribute(client, ticket, {"team_id": team.pk})

    response = _attribute(client, ticket, {"employee_id": clerk.pk, "team_id": team.pk})

    assert response.status_code == 200
    last = TicketEvent.objects.filter(ticket=ticket).order_by("pk").last()
    assert last.detail["previous"] == {"employee_id": None, "team_id": team.pk}


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"employee_id": 999999}, 404, "not_found"),
        ({"team_id": 999999}, 404, "not_found"),
        ({"employee_id": "x"}, 422, None),
        ({"employee_id": 0}, 422, None),
    ],
)
def test_unknown_or_bad_ids_write_nothing(agent, body, status, code):
    ticket = make_ticket(kind="praise")

    response = _attribute(as_staff(agent), ticket, body)

    assert response.status_code == status
    if code:
        assert problem_code(response) == code
    assert not TicketEvent.objects.filter(ticket=ticket).exists()
    assert Ticket.objects.filter(pk=ticket.pk, concerned_employee__isnull=True, concerned_team__isnull=True).exists()


def test_an_employee_of_another_team_is_a_422(agent, store, team):
    other_team = Team.objects.create(name="线上", kind="online")
    clerk = EmployeeFactory(role=Role.CLERK, home_location=store, team=other_team)
    ticket = make_ticket(kind="praise")

    response = _attribute(as_staff(agent), ticket, {"employee_id": clerk.pk, "team_id": team.pk})

    assert response.status_code == 422
    assert not TicketEvent.objects.filter(ticket=ticket).exists()


def test_an_inquiry_is_not_feedback(agent):
    ticket = make_ticket(kind="inquiry")

    response = _attribute(as_staff(agent), ticket, {"employee_id": agent.pk})

    assert response.status_code == 409
    assert not TicketEvent.objects.filter(ticket=ticket).exists()


def test_only_customer_service_and_hq_attribute(store):
    ticket = make_ticket(kind="praise", escalated_to=store)
    clerk = EmployeeFactory(role=Role.CLERK, home_location=store)

    manager = _attribute(as_staff(EmployeeFactory(role=Role.STORE_MANAGER, home_location=store)), ticket, {})
    customer = _attribute(as_member(ticket.member), ticket, {"employee_id": clerk.pk})
    hq = _attribute(as_staff(EmployeeFactory(role=Role.HQ)), ticket, {"employee_id": clerk.pk})

    assert (manager.status_code, customer.status_code, hq.status_code) == (403, 404, 200)
    assert TicketEvent.objects.filter(ticket=ticket).count() == 1


def test_counts_per_employee_and_team_over_a_period_in_one_query(store, team, django_assert_num_queries):
    ann = EmployeeFactory(role=Role.CLERK, home_location=store, team=team)
    bob = EmployeeFactory(role=Role.CLERK, home_location=store)
    for kind, who in [("praise", ann), ("praise", ann), ("complaint", ann), ("suggestion", bob), ("inquiry", ann)]:
        ticket = make_ticket(kind=kind)
        Ticket.objects.filter(pk=ticket.pk).update(concerned_employee=who, concerned_team=who.team)
    old = make_ticket(kind="praise")  # before the period
    Ticket.objects.filter(pk=old.pk).update(concerned_employee=ann, created_at=timezone.now() - timedelta(days=40))
    since, until = timezone.now() - timedelta(days=30), timezone.now() + timedelta(minutes=1)

    with django_assert_num_queries(1):
        by_employee = feedback_by_employee(since=since, until=until)
    by_team = feedback_by_team(since=since, until=until)
    only_bob = feedback_by_employee(since=since, until=until, employee_ids=[bob.pk])

    assert by_employee == {ann.pk: FeedbackCounts(2, 0, 1), bob.pk: FeedbackCounts(0, 1, 0)}
    assert by_team == {team.pk: FeedbackCounts(2, 0, 1)}
    assert only_bob == {bob.pk: FeedbackCounts(0, 1, 0)}
