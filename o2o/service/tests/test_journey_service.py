"""Journey 6 end to end through the API (docs/service.md): a customer writes about their order ->
automatic acknowledgement -> assigned to the available agent -> the agent replies within the target
-> promises a solution and date -> escalated to the store -> the store's manager grants an apology
coupon and resolves -> the customer confirms -> the follow-up visit is called and the survey answered
(aftercare) -> the customer's praise is credited to the clerk and the store's team, and the owner's
view shows the praise and the survey score."""

from datetime import timedelta

import pytest
from django.utils import timezone

from o2o.aftercare.models import FollowUpVisit, SurveyResponse
from o2o.coupons.models import Coupon
from o2o.service.tests.test_complaints import _template, handed_over_order
from o2o.staff.models import Role, Team
from o2o.testing.api import as_member, as_staff
from o2o.testing.factories import EmployeeFactory

pytestmark = pytest.mark.django_db


def _ok(response, status=200):
    assert response.status_code == status, response.content
    return response.json()


def test_journey_6_customer_service_from_first_message_to_praise_in_the_boss_view(store):
    front = Team.objects.create(name="人民广场店前台", kind="store", location=store)
    clerk = EmployeeFactory(role=Role.CLERK, home_location=store, team=front)
    manager = EmployeeFactory(role=Role.STORE_MANAGER, home_location=store, team=front)
    agent = EmployeeFactory(role=Role.CS_AGENT, home_location=None)
    order = handed_over_order(store, quantity=1)
    customer, desk, shop = as_member(order.member), as_staff(agent), as_staff(manager)
    _ok(desk._call("put", "service/presence", {"available": True}))

    # the customer writes about their order: acknowledged at once, assigned to the available agent
    opened = _ok(
        customer.post(
            "service/my/tickets",
            {"kind": "complaint", "subject": "瓶子破了", "body": "收到的瓶子是破的", "order_id": order.pk},
        ),
        201,
    )
    ticket_id = opened["id"]
    assert [m["author_kind"] for m in opened["messages"]] == ["customer", "system"]
    seen = _ok(desk.get(f"service/tickets/{ticket_id}"))
    assert (seen["state"], seen["assignee_id"], seen["first_response_at"]) == ("open", agent.pk, None)

    # a person answers within the target (5 minutes by default)
    _ok(desk.post(f"service/tickets/{ticket_id}/messages", {"body": "很抱歉，我们马上处理。"}), 201)
    seen = _ok(desk.get(f"service/tickets/{ticket_id}"))
    assert seen["first_response_at"] is not None
    assert seen["first_response_at"] <= seen["first_response_due_at"]
    assert seen["sla_state"] in ("met", "on_track")

    # a complaint gets a promised solution and date, which the customer sees
    by = (timezone.now() + timedelta(days=2)).isoformat()
    _ok(desk.post(f"service/tickets/{ticket_id}/promise", {"solution": "门店补发并致歉", "promised_by": by}))
    mine = _ok(customer.get(f"service/my/tickets/{ticket_id}"))
    assert mine["promised_solution"] == "门店补发并致歉"

    # escalated to the store, whose manager grants an apology coupon and resolves it
    _ok(desk.post(f"service/tickets/{ticket_id}/escalate", {"location_id": store.pk, "reason": "需门店补发"}))
    template = _template()
    remedy = _ok(
        shop.post(
            f"service/tickets/{ticket_id}/remedies",
            {"kind": "coupon", "template_id": template.pk},
            headers={"Idempotency-Key": "journey-6"},
        ),
        201,
    )
    assert Coupon.objects.get(member=order.member).pk == int(remedy["reference"].split(":")[1])
    _ok(shop.post(f"service/escalations/{ticket_id}/resolve", {"summary": "已补发新品并发放致歉券"}))

    # the customer confirms: closed, and a follow-up visit is scheduled for it
    closed = _ok(customer.post(f"service/my/tickets/{ticket_id}/confirm", {"satisfaction": 5}))
    assert (closed["state"], closed["close_reason"], closed["satisfaction"]) == ("closed", "confirmed", 5)
    visit = FollowUpVisit.objects.get(ticket_id=ticket_id)

    # the follow-up call: the agent claims the visit and records the survey
    _ok(desk.post(f"follow-ups/visits/{visit.pk}/claim"))
    _ok(desk.post(f"follow-ups/visits/{visit.pk}/calls", {"reached": True, "score": 4, "comment": "处理及时"}))

    # the customer praises the clerk; customer service credits it to the clerk (and their team)
    praise = _ok(
        customer.post("service/my/tickets", {"kind": "praise", "subject": "表扬", "body": "店员小王很耐心"}), 201
    )
    credited = _ok(desk.post(f"service/tickets/{praise['id']}/attribution", {"employee_id": clerk.pk}))
    assert (credited["concerned_employee_id"], credited["concerned_team_id"]) == (clerk.pk, front.pk)

    # the owner's view: the praise on the clerk and the team; the survey on whom aftercare credits
    # (the ticket's assignee and the store team it was escalated to)
    survey = SurveyResponse.objects.get(visit=visit)
    assert (survey.score, survey.rated_team_id) == (4, front.pk)
    boss = as_staff(EmployeeFactory(role=Role.HQ))
    today = timezone.localdate()  # yesterday..today: a journey that crosses midnight stays in the period
    period = f"period=range&since={today - timedelta(days=1)}&until={today}"
    on_clerk = _ok(boss.get(f"boss/employees/{clerk.pk}?{period}"))["employee"]["figures"]
    teams = {t["team_id"]: t["figures"] for t in _ok(boss.get(f"boss/stores/{store.pk}?{period}"))["teams"]}
    assert (on_clerk["praise"], on_clerk["complaints"]) == (1, 0)
    front_figures = teams[front.pk]
    assert (front_figures["praise"], front_figures["survey_answers"], front_figures["survey_score"]) == (1, 1, "4.00")
    if survey.rated_employee_id is not None:
        rated = _ok(boss.get(f"boss/employees/{survey.rated_employee_id}?{period}"))["employee"]["figures"]
        assert (rated["survey_answers"], rated["survey_score"]) == (1, "4.00")
    print(f"\nsurvey rated employee {survey.rated_employee_id} (agent {agent.pk}), team {survey.rated_team_id}")
