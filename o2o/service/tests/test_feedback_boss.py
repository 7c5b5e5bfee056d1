"""Customer ratings in the owner's view (GET /api/v1/boss/...): feedback attributed by customer
service is counted on the employee, their team and their store, in the period only."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from o2o.service.models import Ticket
from o2o.service.tests.test_complaints import make_ticket
from o2o.staff.models import Role, Team
from o2o.testing.api import as_staff
from o2o.testing.factories import EmployeeFactory

pytestmark = pytest.mark.django_db


def _attribute(agent, ticket, body):
    response = as_staff(agent).post(f"service/tickets/{ticket.pk}/attribution", body)
    assert response.status_code == 200, response.content


def test_attributed_feedback_shows_on_the_employee_team_and_store(store):
    agent = EmployeeFactory(role=Role.CS_AGENT)
    front = Team.objects.create(name="前台", kind="store", location=store)
    ann = EmployeeFactory(role=Role.CLERK, home_location=store, team=front)
    bob = EmployeeFactory(role=Role.CLERK, home_location=store, team=front)
    for kind, who in [("praise", ann), ("praise", ann), ("complaint", ann), ("suggestion", bob)]:
        _attribute(agent, make_ticket(kind=kind), {"employee_id": who.pk})
    _attribute(agent, make_ticket(kind="praise"), {"team_id": front.pk})  # the team, nobody in particular
    last_year = make_ticket(kind="praise")
    _attribute(agent, last_year, {"employee_id": ann.pk})
    Ticket.objects.filter(pk=last_year.pk).update(created_at=timezone.now() - timedelta(days=400))
    hq = EmployeeFactory(role=Role.HQ)
    boss = as_staff(hq)

    employee = boss.get(f"boss/employees/{ann.pk}").json()["employee"]["figures"]
    detail = boss.get(f"boss/stores/{store.pk}").json()

    assert (employee["praise"], employee["suggestions"], employee["complaints"]) == (2, 0, 1)
    assert (employee["survey_answers"], employee["survey_score"]) == (0, None)
    team = next(t for t in detail["teams"] if t["team_id"] == front.pk)["figures"]
    assert (team["praise"], team["suggestions"], team["complaints"]) == (3, 1, 1)
    store_figures = detail["store"]["figures"]
    assert (store_figures["praise"], store_figures["suggestions"], store_figures["complaints"]) == (2, 1, 1)
    pages = Client()
    pages.force_login(hq.user)
    page = pages.get(f"/boss/employees/{ann.pk}/")
    assert page.status_code == 200
    assert 'data-kpi="feedback" data-value="2"' in page.content.decode()
