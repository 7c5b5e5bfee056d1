"""Working the follow-up queue through the API, as the people who use it and as attackers."""

from datetime import timedelta

import pytest
from django.utils import timezone

from o2o.aftercare.models import FollowUpVisit, SurveyResponse
from o2o.aftercare.selectors import scores_by_employee, scores_by_team
from o2o.aftercare.tests.helpers import counter_sale, store_team, visits_due
from o2o.staff.models import Role
from o2o.testing.api import ApiClient, as_member, as_staff, problem_code
from o2o.testing.factories import EmployeeFactory, SKUFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent():
    return EmployeeFactory(role=Role.CS_AGENT, home_location=None)


@pytest.fixture
def visit(member, store, clerk):
    FollowUpPolicyDefaultPhone()
    counter_sale(member=member, clerk=clerk, sku=SKUFactory())
    visits_due(days=3.1)
    return FollowUpVisit.objects.get()


def FollowUpPolicyDefaultPhone():  # noqa: N802  (a phone call, not a message, for the queue tests)
    from o2o.aftercare.models import FollowUpPolicy

    FollowUpPolicy.objects.filter(category__isnull=True).update(channel="phone", delay_days=0)


def _due(visit):
    FollowUpVisit.objects.filter(pk=visit.pk).update(due_on=timezone.localdate())


def test_an_agent_sees_the_due_visit_with_the_full_phone(agent, visit, member):
    _due(visit)

    response = as_staff(agent).get("follow-ups/visits")

    assert response.status_code == 200
    [row] = response.json()["results"]
    assert (row["id"], row["phone"], row["channel"], row["state"]) == (visit.pk, member.phone, "phone", "open")


def test_a_visit_not_yet_due_is_not_in_the_queue(agent, visit):
    FollowUpVisit.objects.filter(pk=visit.pk).update(due_on=timezone.localdate() + timedelta(days=1))

    assert as_staff(agent).get("follow-ups/visits").json()["results"] == []


def test_the_store_works_its_own_visits_and_another_store_gets_404(visit, other_store):
    _due(visit)
    own = EmployeeFactory(home_location=visit.location)
    stranger = EmployeeFactory(home_location=other_store)

    assert [r["id"] for r in as_staff(own).get("follow-ups/visits").json()["results"]] == [visit.pk]
    assert as_staff(stranger).get("follow-ups/visits").json()["results"] == []
    for call in (
        lambda c: c.get(f"follow-ups/visits/{visit.pk}"),
        lambda c: c.post(f"follow-ups/visits/{visit.pk}/claim"),
        lambda c: c.post(f"follow-ups/visits/{visit.pk}/calls", {"reached": False}),
    ):
        response = call(as_staff(stranger))
        assert response.status_code == 404, response.content
    assert FollowUpVisit.objects.get(pk=visit.pk).assigned_to_id is None


def test_anonymous_members_and_other_roles_are_refused(visit):
    assert ApiClient().get("follow-ups/visits").status_code == 401
    assert as_member(visit.member).get("follow-ups/visits").status_code == 403
    marketer = EmployeeFactory(role=Role.MARKETER, home_location=None)
    assert as_staff(marketer).post(f"follow-ups/visits/{visit.pk}/claim").status_code == 403
    assert ApiClient().post(f"follow-ups/visits/{visit.pk}/claim").status_code == 401
    assert FollowUpVisit.objects.get(pk=visit.pk).assigned_to_id is None


def test_two_agents_cannot_both_claim_and_only_the_claimer_records(agent, visit):
    other = EmployeeFactory(role=Role.CS_AGENT, home_location=None)

    assert as_staff(agent).post(f"follow-ups/visits/{visit.pk}/claim").status_code == 200
    second = as_staff(other).post(f"follow-ups/visits/{visit.pk}/claim")
    call = as_staff(other).post(f"follow-ups/visits/{visit.pk}/calls", {"reached": True, "score": 5})

    assert (second.status_code, problem_code(second)) == (409, "follow_up_claimed")
    assert (call.status_code, problem_code(call)) == (409, "follow_up_claimed")
    assert FollowUpVisit.objects.get(pk=visit.pk).assigned_to_id == agent.pk
    assert SurveyResponse.objects.count() == 0


def test_a_reached_call_with_a_survey_credits_the_cashier_and_the_store_team(agent, visit, clerk):
    team = store_team(visit.location)
    client = as_staff(agent)
    client.post(f"follow-ups/visits/{visit.pk}/claim")

    response = client.post(
        f"follow-ups/visits/{visit.pk}/calls", {"reached": True, "score": 4, "comment": "很好", "note": "已回访"}
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["state"], body["attempts"], body["outcome_note"]) == ("done", 1, "已回访")
    assert body["survey"]["score"] == 4
    answer = SurveyResponse.objects.get()
    assert (answer.rated_employee_id, answer.rated_team_id, answer.answered_by, answer.recorded_by_id) == (
        clerk.pk, team.pk, "agent", agent.pk,
    )  # fmt: skip
    assert scores_by_employee(employee_ids=[clerk.pk]) == {clerk.pk: (4.0, 1)}
    assert scores_by_team(team_ids=None) == {team.pk: (4.0, 1)}
    again = client.post(f"follow-ups/visits/{visit.pk}/calls", {"reached": True, "score": 1})
    assert (again.status_code, problem_code(again)) == (409, "illegal_transition")
    assert SurveyResponse.objects.get().score == 4


def test_nobody_answers_three_times_then_the_visit_is_unreachable(agent, visit):
    client = as_staff(agent)
    today = timezone.localdate()
    for attempt in (1, 2):
        client.post(f"follow-ups/visits/{visit.pk}/claim")
        body = client.post(f"follow-ups/visits/{visit.pk}/calls", {"reached": False, "note": "无人接听"}).json()
        assert (body["state"], body["attempts"], body["assigned_to_id"]) == ("open", attempt, None)
        assert body["due_on"] == (today + timedelta(days=1)).isoformat()

    client.post(f"follow-ups/visits/{visit.pk}/claim")
    body = client.post(f"follow-ups/visits/{visit.pk}/calls", {"reached": False}).json()

    assert (body["state"], body["attempts"]) == ("unreachable", 3)
    assert body["done_at"] is not None
    assert SurveyResponse.objects.count() == 0


@pytest.mark.parametrize(
    "payload",
    [
        {"reached": True, "score": 0},
        {"reached": True, "score": 6},
        {"reached": True, "score": "x"},
        {"reached": True, "score": True},
        {"reached": True, "score": 4.5},
        {"reached": "yes"},
        {"reached": True, "comment": "x" * 1001},
        {},
    ],
)
def test_bad_call_input_is_a_422_and_writes_nothing(agent, visit, payload):
    client = as_staff(agent)
    client.post(f"follow-ups/visits/{visit.pk}/claim")

    response = client.post(f"follow-ups/visits/{visit.pk}/calls", payload)

    assert response.status_code == 422, response.content
    fresh = FollowUpVisit.objects.get(pk=visit.pk)
    assert (fresh.state, fresh.attempts) == ("open", 0)
    assert SurveyResponse.objects.count() == 0


def test_a_survey_without_reaching_anyone_is_refused(agent, visit):
    client = as_staff(agent)
    client.post(f"follow-ups/visits/{visit.pk}/claim")

    response = client.post(f"follow-ups/visits/{visit.pk}/calls", {"reached": False, "score": 3})

    assert (response.status_code, problem_code(response)) == (422, "invalid")
    assert FollowUpVisit.objects.get(pk=visit.pk).attempts == 0


def test_a_missing_visit_and_a_bad_id_are_404_and_422(agent):
    client = as_staff(agent)

    assert client.post("follow-ups/visits/999999/claim").status_code == 404
    assert client.post("follow-ups/visits/0/claim").status_code == 422
    assert client.post("follow-ups/visits/abc/claim").status_code == 422
    assert client.post("follow-ups/visits/99999999999999999999999/claim").status_code == 422


def test_hq_sets_a_category_policy_and_others_may_not(store):
    from o2o.aftercare.models import FollowUpPolicy
    from o2o.testing.factories import CategoryFactory

    hq = EmployeeFactory(role=Role.HQ, home_location=None)
    category = CategoryFactory()
    body = {"category_id": category.pk, "delay_days": 10, "channel": "phone"}

    assert (
        as_staff(EmployeeFactory(role=Role.STORE_MANAGER, home_location=store))
        .post("follow-ups/policies", body)
        .status_code
        == 403
    )
    assert as_staff(hq).post("follow-ups/policies", {**body, "delay_days": -1}).status_code == 422
    assert as_staff(hq).post("follow-ups/policies", {**body, "channel": "pigeon"}).status_code == 422
    assert as_staff(hq).post("follow-ups/policies", {**body, "category_id": 999999}).status_code == 404
    response = as_staff(hq).post("follow-ups/policies", body)
    again = as_staff(hq).post("follow-ups/policies", {**body, "delay_days": 12})

    assert response.status_code == 200, response.content
    assert again.json()["id"] == response.json()["id"]
    assert FollowUpPolicy.objects.get(category=category).delay_days == 12
    assert len(as_staff(hq).get("follow-ups/policies").json()) == 2
