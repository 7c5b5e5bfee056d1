"""A closed after-sale (or complaint) ticket gets its follow-up visit, once; praise does not."""

import pytest
from django.utils import timezone

from o2o.access.actors import actor_for_member, actor_for_user
from o2o.aftercare.models import FollowUpVisit, SurveyResponse
from o2o.aftercare.services import schedule_ticket_visit
from o2o.aftercare.tests.helpers import store_team
from o2o.service import assignment, services
from o2o.staff.models import Role
from o2o.testing.api import as_staff
from o2o.testing.factories import EmployeeFactory

pytestmark = pytest.mark.django_db


def _closed(member, agent, kind: str):
    request = services.TicketRequest(kind=kind, subject="配送太慢", body="等了三天")
    ticket = services.open_ticket(actor=actor_for_member(member), request=request)
    if kind in ("praise", "suggestion"):
        return services.close_without_action(actor=actor_for_user(agent.user), ticket_id=ticket.pk)
    assignment.claim(actor=actor_for_user(agent.user), ticket_id=ticket.pk)
    services.resolve(actor=actor_for_user(agent.user), ticket_id=ticket.pk, summary="已补发")
    return services.confirm_resolution(actor=actor_for_member(member), ticket_id=ticket.pk)


def test_a_confirmed_after_sale_ticket_is_visited_and_its_survey_rates_the_agent(member):
    agent = EmployeeFactory(role=Role.CS_AGENT, home_location=None)
    ticket = _closed(member, agent, "after_sale")

    visit = FollowUpVisit.objects.get()
    assert (visit.ticket_id, visit.member_id, visit.order_id) == (ticket.pk, member.pk, None)
    assert visit.due_on == timezone.localdate() + timezone.timedelta(days=3)
    assert schedule_ticket_visit(ticket=ticket).pk == visit.pk  # a second close writes nothing
    assert FollowUpVisit.objects.count() == 1

    FollowUpVisit.objects.filter(pk=visit.pk).update(due_on=timezone.localdate(), channel="phone")
    client = as_staff(agent)
    client.post(f"follow-ups/visits/{visit.pk}/claim")
    response = client.post(f"follow-ups/visits/{visit.pk}/calls", {"reached": True, "score": 5})
    assert response.status_code == 200, response.content
    answer = SurveyResponse.objects.get()
    assert (answer.rated_employee_id, answer.rated_team_id) == (agent.pk, ticket.team_id)


def test_praise_closed_at_once_gets_no_visit(member):
    agent = EmployeeFactory(role=Role.CS_AGENT, home_location=None)
    _closed(member, agent, "praise")

    assert FollowUpVisit.objects.count() == 0


def test_an_escalated_ticket_credits_the_store_team(member, store):
    team = store_team(store)
    agent = EmployeeFactory(role=Role.CS_AGENT, home_location=None)
    ticket = services.open_ticket(
        actor=actor_for_member(member), request=services.TicketRequest(kind="after_sale", subject="坏了", body="换货")
    )
    services.escalate(actor=actor_for_user(agent.user), ticket_id=ticket.pk, location_id=store.pk, reason="到店")
    ticket.refresh_from_db()

    visit = schedule_ticket_visit(ticket=ticket)
    from o2o.aftercare.services import rating_targets

    assert visit.location_id == store.pk
    assert rating_targets(visit)[1] == team.pk
