"""The service reports page (/service/reports/): the figures of a known set of tickets for an agent
and HQ, refusals for members and store staff, and a bad period as a form error."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils.html import escape

from o2o.service.models import Ticket
from o2o.service.tests.test_sla_clock import at, ticket
from o2o.staff.models import Role, Team
from o2o.testing.factories import EmployeeFactory
from o2o.web.tests.test_service_pages import member_client, staff_client

pytestmark = pytest.mark.django_db

URL = "/service/reports/"
DAY = "?since=2026-12-01&until=2026-12-01"


def cell(html: str, kind: str, row_id: str, name: str) -> str:
    row = re.search(rf'<tr data-{kind}="{row_id}">(.*?)</tr>', html, re.S)
    assert row, (kind, row_id)
    found = re.search(rf'data-cell="{name}">([^<]*)<', row.group(1))
    return found.group(1).strip()


def bucket(html: str, section: str, label: str) -> int:
    part = re.search(rf'id="{section}">(.*?)</section>', html, re.S).group(1)
    row = re.search(rf'<tr data-bucket="{re.escape(escape(label))}"><td>[^<]*</td><td class="num">(\d+)</td>', part)
    return int(row.group(1))


@pytest.fixture
def known_tickets():
    """Five tickets opened Tuesday 2026-12-01 09:00 (the service report test's set)."""
    team = Team.objects.create(name="Online", kind=Team.Kind.ONLINE)
    agent = EmployeeFactory(role=Role.CS_AGENT, home_location=None, team=team, display_name="Li")
    mine = {"state": Ticket.State.OPEN, "assignee": agent, "team": team}
    ticket(**mine, first_response_due_at=at(1, 9, 5), first_response_at=at(1, 9) + timedelta(seconds=30))
    ticket(**mine, first_response_due_at=at(1, 9, 5), first_response_at=at(1, 9, 3))
    ticket(**mine, first_response_due_at=at(1, 9, 5), first_response_at=at(1, 9, 20))
    ticket(first_response_due_at=at(1, 9, 5), first_response_at=at(1, 9, 2), resolved_at=at(1, 10), satisfaction=4)
    ticket(first_response_due_at=at(1, 9, 5))
    return team, agent


@pytest.mark.parametrize("role", [Role.CS_AGENT, Role.HQ])
def test_an_agent_and_hq_see_the_figures_of_the_period(known_tickets, role):
    team, agent = known_tickets
    reader = EmployeeFactory(role=role, home_location=None)

    with time_machine.travel(at(1, 16), tick=False):
        response = staff_client(reader).get(URL + DAY)

    assert response.status_code == 200
    html = response.content.decode()
    assert cell(html, "team", str(team.pk), "fr-met") == "2 (66.7%)"
    assert cell(html, "team", str(team.pk), "fr-breached") == "1 (33.3%)"
    assert cell(html, "team", "none", "fr-met") == "1 (50.0%)"
    assert cell(html, "agent", str(agent.pk), "res-breached") == "3 (100.0%)"
    assert cell(html, "agent", str(agent.pk), "res-met") == "0 (0.0%)"
    assert cell(html, "agent", "none", "score") == "4.0 (1)"
    assert [bucket(html, "response-times", label) for label in ("<1", "1-5", "5-15", "15-60", ">60")] == [1, 2, 0, 1, 0]
    assert '<span data-testid="p50">' in html and re.search(r'data-testid="p50">[^<]* 2:00<', html)
    assert re.search(r'data-testid="p90">[^<]* 20:00<', html)
    assert [bucket(html, "backlog", label) for label in ("<1h", "1-4h", "4-24h", "1-3d", ">3d")] == [0, 0, 4, 0, 0]
    assert 'class="bar" style="width: 100%"' in html  # the largest bucket's bar is full width


def test_the_default_period_is_the_last_seven_local_days(known_tickets):
    hq = EmployeeFactory(role=Role.HQ, home_location=None)

    with time_machine.travel(at(7, 10), tick=False):
        inside = staff_client(hq).get(URL).content.decode()
    with time_machine.travel(at(8, 10), tick=False):
        after = staff_client(hq).get(URL).content.decode()

    assert 'value="2026-12-01"' in inside and 'value="2026-12-07"' in inside
    assert bucket(inside, "response-times", "1-5") == 2
    assert 'value="2026-12-02"' in after
    assert bucket(after, "response-times", "1-5") == 0  # 12-01 is out of the week


def test_members_and_store_staff_are_refused(known_tickets, member, store):
    clerk = EmployeeFactory(role=Role.CLERK, home_location=store)
    manager = EmployeeFactory(role=Role.STORE_MANAGER, home_location=store)

    assert member_client(member).get(URL + DAY).status_code == 302  # members are not staff: sign in
    assert Client().get(URL).status_code == 302
    for employee in (clerk, manager):
        response = staff_client(employee).get(URL + DAY)
        assert response.status_code == 403
        assert b'data-cell="fr-met"' not in response.content


@pytest.mark.parametrize(
    "query",
    [
        "?since=2026-12-05&until=2026-12-01",  # ends before it starts
        "?since=2025-01-01&until=2026-12-01",  # more than 366 days
        "?since=yesterday&until=2026-12-01",
        "?since=2026-12-01",
        "?since=9999-12-31&until=9999-12-31",  # the day after is out of range
    ],
)
def test_a_bad_period_is_a_form_error_not_a_500(known_tickets, query):
    agent = EmployeeFactory(role=Role.CS_AGENT, home_location=None)

    response = staff_client(agent).get(URL + query)

    assert response.status_code == 422
    assert b'id="period-errors"' in response.content
    assert b'data-cell="fr-met"' not in response.content
