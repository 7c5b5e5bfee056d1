"""HQ's SLA settings page (/hq/service-sla/): targets and business hours through the SLA services;
bad input is a form error with nothing written; store managers and agents are refused."""

from datetime import time

import pytest

from o2o.service.models import BusinessHours, SlaPolicy
from o2o.staff.models import Role, Team
from o2o.testing.factories import EmployeeFactory
from o2o.web.tests.test_service_pages import staff_client

pytestmark = pytest.mark.django_db

URL = "/hq/service-sla/"
POLICY_URL = "/hq/service-sla/policies/"
HOURS_URL = "/hq/service-sla/hours/"


@pytest.fixture
def hq():
    return staff_client(EmployeeFactory(role=Role.HQ, home_location=None))


@pytest.fixture
def online_team():
    team = Team.objects.create(name="Online", kind=Team.Kind.ONLINE)
    BusinessHours.objects.create(team=team, weekday=0, opens=time(9), closes=time(18))
    return team


def policy_row(kind="complaint", priority="high") -> tuple[int, int, int]:
    policy = SlaPolicy.objects.get(kind=kind, priority=priority)
    return policy.first_response_minutes, policy.resolution_minutes, policy.warn_before_minutes


def hours_of(team) -> list[tuple[int, str, str]]:
    return [
        (h.weekday, f"{h.opens:%H:%M}", f"{h.closes:%H:%M}")
        for h in BusinessHours.objects.filter(team=team).order_by("weekday", "opens")
    ]


def test_hq_sees_every_target_and_team(hq, online_team, store):
    store_team = Team.objects.create(name="Store team", kind=Team.Kind.STORE, location=store)
    SlaPolicy.objects.filter(kind="inquiry", priority="normal").update(first_response_minutes=7)

    html = hq.get(URL).content.decode()

    assert html.count("data-policy=") == SlaPolicy.objects.count() == 20
    assert 'data-policy="inquiry-normal"' in html and 'name="first_response_minutes" value="7"' in html
    assert f'data-team="{online_team.pk}"' in html and f'data-team="{store_team.pk}"' in html
    assert "09:00-18:00" in html
    assert "/hq/service-sla/" in hq.get("/hq/").content.decode()  # linked from the HQ nav


def test_hq_changes_a_target(hq):
    response = hq.post(
        POLICY_URL,
        {"kind": "complaint", "priority": "high", "first_response_minutes": 3, "resolution_minutes": 120,
         "warn_before_minutes": 1},
    )  # fmt: skip

    assert response.status_code == 302 and response["Location"] == URL
    assert policy_row() == (3, 120, 1)


@pytest.mark.parametrize(
    "minutes",
    [
        (-5, 120, 1),  # negative
        (0, 120, 0),  # zero
        (30, 10, 1),  # resolution before the first response
        (5, 120, 5),  # the warning not before the first response is due
        (5, 120, "x"),
        (5, 10**9, 1),
    ],
)
def test_a_bad_target_is_a_form_error_and_nothing_is_written(hq, minutes):
    before = policy_row()
    first, resolution, warn = minutes

    response = hq.post(
        POLICY_URL,
        {"kind": "complaint", "priority": "high", "first_response_minutes": first, "resolution_minutes": resolution,
         "warn_before_minutes": warn},
    )  # fmt: skip

    assert response.status_code == 422
    assert b'id="policy-errors"' in response.content
    assert policy_row() == before


def test_an_unknown_type_or_priority_is_a_form_error(hq):
    before = list(SlaPolicy.objects.values_list("kind", "priority", "first_response_minutes"))

    response = hq.post(
        POLICY_URL,
        {"kind": "gossip", "priority": "high", "first_response_minutes": 3, "resolution_minutes": 9,
         "warn_before_minutes": 1},
    )  # fmt: skip

    assert response.status_code == 422
    assert list(SlaPolicy.objects.values_list("kind", "priority", "first_response_minutes")) == before


def test_hq_sets_several_intervals_a_day(hq, online_team):
    form = hq.get(f"{URL}?team={online_team.pk}").content.decode()
    assert 'name="day_0" value="09:00-18:00"' in form

    response = hq.post(
        HOURS_URL, {"team": online_team.pk, "day_0": "09:00-12:00, 13:30-18:00", "day_2": "10:00-16:00", "day_6": ""}
    )

    assert response.status_code == 302
    assert hours_of(online_team) == [(0, "09:00", "12:00"), (0, "13:30", "18:00"), (2, "10:00", "16:00")]


def test_every_day_blank_is_around_the_clock(hq, online_team):
    response = hq.post(HOURS_URL, {"team": online_team.pk})

    assert response.status_code == 302
    assert hours_of(online_team) == []


@pytest.mark.parametrize(
    "day",
    [
        "09:00-12:00, 11:00-18:00",  # overlapping
        "18:00-09:00",  # ends before it starts
        "09:00-09:00",
        "nine to five",
        "25:00-26:00",
        ", ".join(f"{h:02d}:00-{h:02d}:30" for h in range(8, 15)),  # 7 intervals a day
    ],
)
def test_bad_hours_are_a_form_error_and_nothing_is_written(hq, online_team, day):
    response = hq.post(HOURS_URL, {"team": online_team.pk, "day_0": "08:00-09:00", "day_3": day})

    assert response.status_code == 422
    assert b'id="hours-errors"' in response.content
    assert hours_of(online_team) == [(0, "09:00", "18:00")]


def test_an_unknown_team_or_an_hq_team_is_not_found(hq, online_team):
    hq_team = Team.objects.create(name="Head office", kind=Team.Kind.HQ)

    assert hq.post(HOURS_URL, {"team": 999999, "day_0": "09:00-10:00"}).status_code == 404
    assert hq.post(HOURS_URL, {"team": hq_team.pk, "day_0": "09:00-10:00"}).status_code == 404
    assert hq.get(f"{URL}?team=abc").status_code == 404
    assert not BusinessHours.objects.filter(team=hq_team).exists()


@pytest.mark.parametrize("role", [Role.STORE_MANAGER, Role.CS_AGENT, Role.CLERK])
def test_store_managers_and_agents_are_refused(online_team, store, role):
    employee = EmployeeFactory(role=role, home_location=None if role == Role.CS_AGENT else store)
    client = staff_client(employee)
    before = policy_row()

    assert client.get(URL).status_code == 403
    assert client.post(
        POLICY_URL,
        {"kind": "complaint", "priority": "high", "first_response_minutes": 3, "resolution_minutes": 120,
         "warn_before_minutes": 1},
    ).status_code == 403  # fmt: skip
    assert client.post(HOURS_URL, {"team": online_team.pk, "day_0": "00:00-23:00"}).status_code == 403
    assert policy_row() == before
    assert hours_of(online_team) == [(0, "09:00", "18:00")]
