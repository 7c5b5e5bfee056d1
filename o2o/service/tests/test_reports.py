"""The service report: exact attainment, distribution, backlog and satisfaction, in six queries."""

from datetime import timedelta

import pytest
from django.utils import translation

from o2o.access.actors import actor_for_user
from o2o.service.models import Ticket
from o2o.service.reports import service_report
from o2o.service.tests.test_sla_clock import at, ticket
from o2o.staff.models import Role, Team
from o2o.testing.factories import EmployeeFactory

pytestmark = pytest.mark.django_db


def test_attainment_distribution_backlog_and_satisfaction(django_assert_num_queries):
    team = Team.objects.create(name="Online", kind=Team.Kind.ONLINE)
    agent = EmployeeFactory(role=Role.CS_AGENT, home_location=None, team=team, display_name="Li")
    mine = {"state": Ticket.State.OPEN, "assignee": agent, "team": team}
    # opened 09:00; first response due 09:05, resolution 14:00
    ticket(**mine, first_response_due_at=at(1, 9, 5), first_response_at=at(1, 9) + timedelta(seconds=30))  # met, 30 s
    ticket(**mine, first_response_due_at=at(1, 9, 5), first_response_at=at(1, 9, 3))  # met, 3 min
    ticket(**mine, first_response_due_at=at(1, 9, 5), first_response_at=at(1, 9, 20))  # breached, 20 min
    ticket(
        first_response_due_at=at(1, 9, 5), first_response_at=at(1, 9, 2), resolved_at=at(1, 10), satisfaction=4
    )  # met both, unassigned
    ticket(first_response_due_at=at(1, 9, 5))  # no answer, breached at 16:00
    hq = actor_for_user(EmployeeFactory(role=Role.HQ, home_location=None).user)

    # the names are read in the language in force (a page sets it per request): here the default
    with translation.override("zh-hans"), django_assert_num_queries(6):
        report = service_report(actor=hq, since=at(1, 0), until=at(2, 0), now=at(1, 16))
        by_team = sorted(
            (str(r.name), r.tickets, r.first_response.met, r.first_response.breached) for r in report.by_team
        )

    assert by_team == [
        ("Online", 3, 2, 1),
        ("无团队", 2, 1, 1),  # no team
    ]
    li = next(r for r in report.by_agent if r.name == "Li")
    assert (li.first_response.met_percent, li.resolution.breached, li.resolution.met) == (66.7, 3, 0)
    nobody = next(r for r in report.by_agent if r.id is None)
    assert (
        nobody.resolution.met,
        nobody.resolution.breached,
        nobody.satisfaction_average,
        nobody.satisfaction_count,
    ) == (1, 1, 4.0, 1)
    assert report.first_response_times.buckets == [("<1", 1), ("1-5", 2), ("5-15", 0), ("15-60", 1), (">60", 0)]
    assert (report.first_response_times.p50_seconds, report.first_response_times.p90_seconds) == (120, 1200)
    assert report.backlog == [("<1h", 0), ("1-4h", 0), ("4-24h", 4), ("1-3d", 0), (">3d", 0)]
    assert report.backlog_total == 4
