"""The survey link sent by message: single use, expires, the first answer stands, never a 500."""

import pytest
from django.utils import timezone

from o2o.aftercare.models import FollowUpVisit, SurveyResponse
from o2o.aftercare.services import send_due_survey_links
from o2o.aftercare.tests.helpers import days_later, picked_up_order, survey_token, visits_due
from o2o.core.models import OutboxMessage
from o2o.testing.api import ApiClient, problem_code
from o2o.testing.factories import SKUFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def token(member, store):
    picked_up_order(member=member, store=store, sku=SKUFactory())
    visits_due(days=4)
    return survey_token(member)


def _answer(token, body):
    return ApiClient().post(f"follow-ups/surveys/{token}", body)


def test_the_link_goes_out_once_and_only_its_hash_is_kept(member, token):
    send_due_survey_links(now=days_later(4))  # a second sweep sends nothing more

    assert OutboxMessage.objects.filter(recipient=member.phone, body__contains="/shop/survey/").count() == 1
    visit = FollowUpVisit.objects.get()
    assert visit.token_hash is not None and token not in visit.token_hash
    assert visit.token_expires_at > timezone.now()


def test_the_customer_answers_once_and_the_first_answer_stands(token):
    first = _answer(token, {"score": 5, "comment": "店员很热情"})
    second = _answer(token, {"score": 1, "comment": "改主意了"})

    assert first.status_code == 201, first.content
    assert first.json()["score"] == 5
    assert (second.status_code, problem_code(second)) == (409, "survey_answered")
    answer = SurveyResponse.objects.get()
    assert (answer.score, answer.comment, answer.answered_by) == (5, "店员很热情", "customer")
    assert FollowUpVisit.objects.get().state == "done"


def test_an_expired_link_is_410_and_the_visit_becomes_a_call(token):
    FollowUpVisit.objects.update(token_expires_at=timezone.now())

    response = _answer(token, {"score": 4})
    send_due_survey_links()

    assert (response.status_code, problem_code(response)) == (410, "survey_link_expired")
    assert SurveyResponse.objects.count() == 0
    visit = FollowUpVisit.objects.get()
    assert (visit.state, visit.channel) == ("open", "phone")


def test_an_unknown_token_is_404(token):
    response = _answer(token[:-2] + ("AA" if not token.endswith("AA") else "BB"), {"score": 4})

    assert (response.status_code, problem_code(response)) == (404, "not_found")
    assert SurveyResponse.objects.count() == 0


@pytest.mark.parametrize(
    "body",
    [
        {"score": 0},
        {"score": 6},
        {"score": "x"},
        {"score": True},
        {"score": 3.5},
        {},
        {"score": 3, "comment": "x" * 1001},
    ],
)
def test_bad_scores_are_422_and_leave_the_link_usable(token, body):
    response = _answer(token, body)

    assert response.status_code == 422, response.content
    assert SurveyResponse.objects.count() == 0
    assert _answer(token, {"score": 3}).status_code == 201


def test_a_token_of_the_wrong_shape_is_422():
    assert _answer("short", {"score": 3}).status_code == 422
    assert _answer("x" * 65, {"score": 3}).status_code == 422
