"""HQ edits SLA targets and a team's business hours through the API; everyone else is refused, bad
input is a 422 that changes nothing, and the change applies to clocks started afterwards."""

import pytest

from o2o.service.models import BusinessHours, SlaPolicy
from o2o.service.sla import due_times
from o2o.service.tests.test_sla_clock import at
from o2o.staff.models import Role, Team
from o2o.testing.api import ApiClient, as_member, as_staff, problem_code
from o2o.testing.factories import EmployeeFactory

pytestmark = pytest.mark.django_db

POLICY = "service/sla/policies/complaint/high"


@pytest.fixture
def hq():
    return as_staff(EmployeeFactory(role=Role.HQ, home_location=None))


@pytest.fixture
def team():
    return Team.objects.create(name="Online", kind=Team.Kind.ONLINE)


def policy_row(kind="complaint", priority="high"):
    return SlaPolicy.objects.values_list("first_response_minutes", "resolution_minutes", "warn_before_minutes").get(
        kind=kind, priority=priority
    )


def hours_of(team):
    return [
        (h.weekday, f"{h.opens:%H:%M}", f"{h.closes:%H:%M}") for h in team.business_hours.order_by("weekday", "opens")
    ]


def test_hq_sets_a_policy_and_tickets_opened_afterwards_follow_it(hq):
    body = {"first_response_minutes": 10, "resolution_minutes": 600, "warn_before_minutes": 3}

    response = hq._call("put", POLICY, body)

    assert response.status_code == 200, response.content
    assert response.json() == {"kind": "complaint", "priority": "high", **body}
    assert policy_row() == (10, 600, 3)
    assert policy_row("complaint", "normal") == (5, 1440, 2)  # the others untouched
    assert due_times(kind="complaint", priority="high", team_id=None, start=at(1, 10)) == (at(1, 10, 10), at(1, 20))


@pytest.mark.parametrize(
    "body",
    [
        {"first_response_minutes": 0, "resolution_minutes": 60, "warn_before_minutes": 0},
        {"first_response_minutes": 30, "resolution_minutes": 20, "warn_before_minutes": 2},
        {"first_response_minutes": 5, "resolution_minutes": 60, "warn_before_minutes": 5},
        {"first_response_minutes": -1, "resolution_minutes": 60, "warn_before_minutes": 0},
        {"first_response_minutes": "5", "resolution_minutes": 60, "warn_before_minutes": 1},
        {"first_response_minutes": 5.5, "resolution_minutes": 60, "warn_before_minutes": 1},
        {"first_response_minutes": True, "resolution_minutes": 60, "warn_before_minutes": 0},
        {"first_response_minutes": 5, "resolution_minutes": 10**12, "warn_before_minutes": 1},
        {"first_response_minutes": 5, "resolution_minutes": 60},
    ],
)
def test_a_bad_policy_is_a_422_and_changes_nothing(hq, body):
    response = hq._call("put", POLICY, body)

    assert (response.status_code, problem_code(response)) == (422, "invalid")
    assert policy_row() == (5, 480, 2)


def test_an_unknown_type_or_priority_is_refused(hq):
    body = {"first_response_minutes": 10, "resolution_minutes": 60, "warn_before_minutes": 1}

    assert hq._call("put", "service/sla/policies/gossip/high", body).status_code == 422
    assert hq._call("put", "service/sla/policies/complaint/asap", body).status_code == 422


@pytest.mark.parametrize("role", [Role.CS_AGENT, Role.ONLINE_OPERATOR, Role.STORE_MANAGER, Role.REGIONAL_SUPERVISOR])
def test_only_hq_edits_targets_and_hours(role, store, team, member):
    region = store.region if role == Role.REGIONAL_SUPERVISOR else None
    employee = EmployeeFactory(role=role, home_location=store if role == Role.STORE_MANAGER else None, region=region)
    body = {"first_response_minutes": 10, "resolution_minutes": 60, "warn_before_minutes": 1}
    hours = {"intervals": [{"weekday": 0, "opens": "09:00", "closes": "18:00"}]}

    for client in (as_staff(employee), as_member(member), ApiClient()):
        assert client._call("put", POLICY, body).status_code in (401, 403)
        assert client._call("put", f"service/teams/{team.pk}/business-hours", hours).status_code in (401, 403)

    assert policy_row() == (5, 480, 2)
    assert not BusinessHours.objects.exists()


def test_hq_replaces_a_teams_business_hours(hq, team):
    BusinessHours.objects.create(team=team, weekday=6, opens="10:00", closes="16:00")
    week = [
        {"weekday": d, "opens": o, "closes": c} for d in (4, 0) for o, c in (("13:00", "18:00"), ("09:00", "12:00"))
    ]

    response = hq._call("put", f"service/teams/{team.pk}/business-hours", {"intervals": week})

    assert response.status_code == 200, response.content
    assert response.json()["around_the_clock"] is False
    assert [(i["weekday"], i["opens"], i["closes"]) for i in response.json()["intervals"]] == [
        (0, "09:00:00", "12:00:00"),
        (0, "13:00:00", "18:00:00"),
        (4, "09:00:00", "12:00:00"),
        (4, "13:00:00", "18:00:00"),
    ]
    assert hours_of(team) == [
        (0, "09:00", "12:00"),
        (0, "13:00", "18:00"),
        (4, "09:00", "12:00"),
        (4, "13:00", "18:00"),
    ]
    assert hq.get(f"service/teams/{team.pk}/business-hours").json() == response.json()
    # Monday 2026-12-07 11:58: 2 minutes before lunch, 3 after it
    first, _ = due_times(kind="inquiry", priority="normal", team_id=team.pk, start=at(7, 11, 58))
    assert first == at(7, 13, 3)


def test_no_intervals_is_around_the_clock(hq, team):
    BusinessHours.objects.create(team=team, weekday=0, opens="09:00", closes="18:00")

    response = hq._call("put", f"service/teams/{team.pk}/business-hours", {"intervals": []})

    assert response.json() == {"team_id": team.pk, "around_the_clock": True, "intervals": []}
    assert hours_of(team) == []


@pytest.mark.parametrize(
    "intervals",
    [
        [{"weekday": 7, "opens": "09:00", "closes": "18:00"}],
        [{"weekday": -1, "opens": "09:00", "closes": "18:00"}],
        [{"weekday": 0, "opens": "18:00", "closes": "09:00"}],
        [{"weekday": 0, "opens": "09:00", "closes": "09:00"}],
        [{"weekday": 0, "opens": "09:00", "closes": "12:00"}, {"weekday": 0, "opens": "11:00", "closes": "14:00"}],
        [{"weekday": 0, "opens": "25:00", "closes": "26:00"}],
        [{"weekday": 0, "opens": "nine", "closes": "18:00"}],
        [{"weekday": "0", "opens": "09:00", "closes": "18:00"}],
        [{"weekday": 0, "opens": f"{h:02d}:00", "closes": f"{h:02d}:30"} for h in range(7)],
        "all week",
    ],
)
def test_bad_hours_are_a_422_and_change_nothing(hq, team, intervals):
    BusinessHours.objects.create(team=team, weekday=6, opens="10:00", closes="16:00")

    response = hq._call("put", f"service/teams/{team.pk}/business-hours", {"intervals": intervals})

    assert (response.status_code, problem_code(response)) == (422, "invalid")
    assert hours_of(team) == [(6, "10:00", "16:00")]


def test_hours_of_a_missing_team_are_a_404(hq):
    response = hq._call("put", "service/teams/999999/business-hours", {"intervals": []})

    assert (response.status_code, problem_code(response)) == (404, "not_found")
    assert hq.get("service/teams/999999/business-hours").status_code == 404


def test_customer_service_reads_the_policies():
    agent = as_staff(EmployeeFactory(role=Role.CS_AGENT, home_location=None))

    response = agent.get("service/sla/policies")

    assert response.status_code == 200
    assert len(response.json()) == 20
    assert {
        "kind": "inquiry",
        "priority": "urgent",
        "first_response_minutes": 3,
        "resolution_minutes": 60,
        "warn_before_minutes": 1,
    } in response.json()
