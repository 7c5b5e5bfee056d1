"""The follow-up visit pages (/service/follow-ups/) as the people who work them and as attackers."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from o2o.aftercare.models import FollowUpPolicy, FollowUpVisit, SurveyResponse
from o2o.aftercare.tests.helpers import counter_sale, visits_due
from o2o.members.phones import mask_phone
from o2o.service.models import Ticket
from o2o.staff.models import Role
from o2o.testing.factories import EmployeeFactory, MemberFactory, SKUFactory
from o2o.web.auth import MEMBER_SESSION_KEY
from o2o.web.service import follow_ups

pytestmark = pytest.mark.django_db


def staff_client(employee) -> Client:
    client = Client()
    client.force_login(employee.user)
    return client


@pytest.fixture
def agent():
    return EmployeeFactory(role=Role.CS_AGENT, home_location=None)


def due_visit(member, clerk) -> FollowUpVisit:
    """A counter sale by the clerk to the member, its phone visit scheduled and due today."""
    FollowUpPolicy.objects.update_or_create(category=None, defaults={"channel": "phone", "delay_days": 0})
    order = counter_sale(member=member, clerk=clerk, sku=SKUFactory(name="珍珠奶茶"))
    visits_due(days=0.1)
    visit = FollowUpVisit.objects.get(order=order)
    FollowUpVisit.objects.filter(pk=visit.pk).update(due_on=timezone.localdate())
    return FollowUpVisit.objects.get(pk=visit.pk)


@pytest.fixture
def visit(member, clerk):
    return due_visit(member, clerk)


def visit_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'data-visit="(\d+)"', html)]


def untouched(visit: FollowUpVisit) -> bool:
    fresh = FollowUpVisit.objects.get(pk=visit.pk)
    return (fresh.state, fresh.attempts, fresh.done_at) == ("open", 0, None) and not SurveyResponse.objects.exists()


# --- the queue ------------------------------------------------------------------------------------


def test_an_agent_sees_the_due_visit_with_the_masked_phone_order_store_and_attempts(agent, visit, member, store):
    response = staff_client(agent).get("/service/follow-ups/")

    html = response.content.decode()
    assert response.status_code == 200
    assert visit_ids(html) == [visit.pk]
    assert mask_phone(member.phone) in html and member.phone not in html
    assert visit.order.number in html and store.name in html
    assert 'href="/service/follow-ups/"' in html  # the desk's nav links the queue


def test_the_queue_filters_by_channel_and_mine_and_pages_by_25(agent, visit, member, clerk):
    other = due_visit(MemberFactory(), clerk)
    FollowUpVisit.objects.filter(pk=other.pk).update(channel="message")
    client = staff_client(agent)
    client.post(f"/service/follow-ups/{visit.pk}/claim/")

    assert visit_ids(client.get("/service/follow-ups/", {"channel": "message"}).content.decode()) == [other.pk]
    assert visit_ids(client.get("/service/follow-ups/", {"mine": "1"}).content.decode()) == [visit.pk]
    assert sorted(visit_ids(client.get("/service/follow-ups/").content.decode())) == sorted([visit.pk, other.pk])
    junk = client.get("/service/follow-ups/", {"channel": "fax", "page": "x"})
    assert junk.status_code == 200 and len(visit_ids(junk.content.decode())) == 2


def test_the_queue_pages(agent, visit, member, clerk, monkeypatch):
    monkeypatch.setattr(follow_ups, "PAGE_SIZE", 1)
    other = due_visit(MemberFactory(), clerk)
    client = staff_client(agent)

    first = client.get("/service/follow-ups/").content.decode()
    second = client.get("/service/follow-ups/", {"page": 2}).content.decode()
    beyond = client.get("/service/follow-ups/", {"page": 99}).content.decode()

    assert visit_ids(first) + visit_ids(second) == [visit.pk, other.pk]
    assert "?page=2" in first and "?page=1" in second
    assert visit_ids(beyond) == [other.pk]  # past the end: the last page


def test_anonymous_visitors_members_and_marketers_are_refused(visit, member, clerk):
    for url in ("/service/follow-ups/", f"/service/follow-ups/{visit.pk}/"):
        response = Client().get(url)
        assert response.status_code == 302 and "/login" in response["Location"], url
    customer = Client()
    session = customer.session
    session[MEMBER_SESSION_KEY] = member.pk
    session.save()
    response = customer.get("/service/follow-ups/")
    assert response.status_code == 302 and "/login" in response["Location"]

    # the store's clerks work their own store's visits (the table's WORK_FOLLOW_UPS), a marketer none
    assert staff_client(clerk).get("/service/follow-ups/").status_code == 200
    assert staff_client(clerk).get(f"/service/follow-ups/{visit.pk}/").status_code == 200
    marketer = EmployeeFactory(role=Role.MARKETER, home_location=None)  # chain-wide: the table refuses
    assert staff_client(marketer).get("/service/follow-ups/").status_code == 403
    assert staff_client(marketer).post(f"/service/follow-ups/{visit.pk}/claim/").status_code == 403
    assert FollowUpVisit.objects.get(pk=visit.pk).assigned_to_id is None


# --- one visit ------------------------------------------------------------------------------------


def test_claim_then_an_answered_call_with_score_2_finishes_the_visit_and_opens_a_complaint(agent, visit, member):
    client = staff_client(agent)
    page = client.get(f"/service/follow-ups/{visit.pk}/").content.decode()
    assert "珍珠奶茶" in page and mask_phone(member.phone) in page and 'id="call-form"' not in page

    claimed = client.post(f"/service/follow-ups/{visit.pk}/claim/")
    assert claimed.status_code == 302 and claimed["Location"] == f"/service/follow-ups/{visit.pk}/"
    page = client.get(claimed["Location"]).content.decode()
    assert 'id="call-form"' in page and member.phone in page  # the claimer rings the full number

    recorded = client.post(
        f"/service/follow-ups/{visit.pk}/call/",
        {"outcome": "answered", "score": "2", "comment": "奶茶太甜", "note": "客户不满意"},
    )

    assert recorded.status_code == 302 and recorded["Location"] == f"/service/follow-ups/{visit.pk}/"
    visit.refresh_from_db()
    assert (visit.state, visit.attempts, visit.outcome_note) == ("done", 1, "客户不满意")
    survey = SurveyResponse.objects.get(visit=visit)
    assert (survey.score, survey.comment, survey.answered_by) == (2, "奶茶太甜", "agent")
    assert survey.recorded_by_id == agent.pk
    complaint = Ticket.objects.get(pk=survey.complaint_ticket_id)
    assert (complaint.kind, complaint.member_id, complaint.order_id) == ("complaint", member.pk, visit.order_id)
    page = client.get(recorded["Location"]).content.decode()
    assert complaint.number in page and 'data-score="2"' in page
    assert visit_ids(client.get("/service/follow-ups/").content.decode()) == []


def test_no_answer_counts_an_attempt_and_puts_the_visit_back_for_tomorrow(agent, visit):
    client = staff_client(agent)
    client.post(f"/service/follow-ups/{visit.pk}/claim/")

    response = client.post(f"/service/follow-ups/{visit.pk}/call/", {"outcome": "no_answer", "note": "没人接"})

    assert response.status_code == 302
    visit.refresh_from_db()
    assert (visit.state, visit.attempts, visit.assigned_to_id) == ("open", 1, None)
    assert visit.due_on == timezone.localdate() + timedelta(days=1)
    assert not SurveyResponse.objects.exists()


def test_a_second_agent_cannot_claim_or_record_a_visit_the_first_claimed(agent, visit):
    staff_client(agent).post(f"/service/follow-ups/{visit.pk}/claim/")
    other = staff_client(EmployeeFactory(role=Role.CS_AGENT, home_location=None))

    page = other.get(f"/service/follow-ups/{visit.pk}/").content.decode()
    claim = other.post(f"/service/follow-ups/{visit.pk}/claim/")
    call = other.post(f"/service/follow-ups/{visit.pk}/call/", {"outcome": "answered", "score": "5"})
    release = other.post(f"/service/follow-ups/{visit.pk}/release/")

    assert 'id="call-form"' not in page
    for response in (claim, call, release):
        assert response.status_code == 409
        assert 'id="action-error"' in response.content.decode()
    fresh = FollowUpVisit.objects.get(pk=visit.pk)
    assert fresh.assigned_to_id == agent.pk
    assert untouched(visit)


def test_a_finished_visit_refuses_another_call_with_a_message(agent, visit):
    client = staff_client(agent)
    client.post(f"/service/follow-ups/{visit.pk}/claim/")
    client.post(f"/service/follow-ups/{visit.pk}/call/", {"outcome": "declined"})

    again = client.post(f"/service/follow-ups/{visit.pk}/call/", {"outcome": "answered", "score": "5"})
    claim = client.post(f"/service/follow-ups/{visit.pk}/claim/")

    assert again.status_code == 409 and claim.status_code == 409
    assert 'id="action-error"' in again.content.decode()
    assert FollowUpVisit.objects.get(pk=visit.pk).attempts == 1
    assert not SurveyResponse.objects.exists()


@pytest.mark.parametrize(
    "posted",
    [
        {"outcome": "answered", "score": "9"},
        {"outcome": "answered", "score": "0"},
        {"outcome": "answered", "score": "abc"},
        {"outcome": "answered"},  # answered without a score
        {"outcome": "", "score": "4"},
        {"score": "4"},
        {"outcome": "hung_up"},
        {"outcome": "no_answer", "score": "3"},  # nobody answered: no survey
        {"outcome": "answered", "score": "4", "comment": "长" * 1001},
    ],
)
def test_bad_call_forms_are_form_errors_and_write_nothing(agent, visit, posted):
    client = staff_client(agent)
    client.post(f"/service/follow-ups/{visit.pk}/claim/")

    response = client.post(f"/service/follow-ups/{visit.pk}/call/", posted)

    assert response.status_code == 422
    assert 'id="action-error"' in response.content.decode()
    assert untouched(visit)
    assert FollowUpVisit.objects.get(pk=visit.pk).assigned_to_id == agent.pk


def test_a_store_manager_works_their_stores_visits_and_gets_404_for_anothers(visit, store, other_store):
    own = EmployeeFactory(role=Role.STORE_MANAGER, home_location=store)
    stranger = staff_client(EmployeeFactory(role=Role.STORE_MANAGER, home_location=other_store))

    assert visit_ids(staff_client(own).get("/service/follow-ups/").content.decode()) == [visit.pk]
    assert visit_ids(stranger.get("/service/follow-ups/").content.decode()) == []
    for response in (
        stranger.get(f"/service/follow-ups/{visit.pk}/"),
        stranger.post(f"/service/follow-ups/{visit.pk}/claim/"),
        stranger.post(f"/service/follow-ups/{visit.pk}/call/", {"outcome": "answered", "score": "5"}),
        stranger.post(f"/service/follow-ups/{visit.pk}/release/"),
    ):
        assert response.status_code == 404
    assert FollowUpVisit.objects.get(pk=visit.pk).assigned_to_id is None and untouched(visit)

    assert staff_client(own).post(f"/service/follow-ups/{visit.pk}/claim/").status_code == 302
    assert FollowUpVisit.objects.get(pk=visit.pk).assigned_to_id == own.pk


def test_unknown_and_junk_visit_ids_are_404(agent):
    client = staff_client(agent)

    assert client.get("/service/follow-ups/999999/").status_code == 404
    assert client.post("/service/follow-ups/999999/claim/").status_code == 404
    assert client.post("/service/follow-ups/99999999999999999999/call/", {"outcome": "no_answer"}).status_code == 404
    assert client.get("/service/follow-ups/1/claim/").status_code == 405
