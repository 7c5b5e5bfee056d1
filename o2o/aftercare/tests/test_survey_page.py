"""The survey page a customer opens from the link in their message (/shop/survey/<token>/)."""

import pytest
from django.test import Client
from django.utils import timezone

from o2o.aftercare.models import FollowUpVisit, SurveyResponse
from o2o.aftercare.tests.helpers import picked_up_order, survey_token, visits_due
from o2o.testing.factories import SKUFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def token(member, store):
    picked_up_order(member=member, store=store, sku=SKUFactory())
    visits_due(days=4)
    return survey_token(member)


def test_the_customer_opens_the_link_and_answers_once(token):
    page = Client().get(f"/shop/survey/{token}/")
    sent = Client().post(f"/shop/survey/{token}/", {"score": "4", "comment": "取货很快"})
    again = Client().get(f"/shop/survey/{token}/")

    assert page.status_code == 200 and 'name="score"' in page.content.decode()
    assert sent.status_code == 200
    answer = SurveyResponse.objects.get()
    assert (answer.score, answer.comment, answer.answered_by) == (4, "取货很快", "customer")
    assert again.status_code == 409
    assert FollowUpVisit.objects.get().state == "done"


@pytest.mark.parametrize("score", ["0", "6", "x", ""])
def test_a_bad_score_is_a_form_error_and_writes_nothing(token, score):
    response = Client().post(f"/shop/survey/{token}/", {"score": score})

    assert response.status_code == 422
    assert SurveyResponse.objects.count() == 0


def test_an_unknown_or_expired_link_says_so(token):
    unknown = Client().get("/shop/survey/nosuchtoken0000000000/")
    FollowUpVisit.objects.update(token_expires_at=timezone.now())
    expired = Client().post(f"/shop/survey/{token}/", {"score": "5"})

    assert (unknown.status_code, expired.status_code) == (404, 410)
    assert SurveyResponse.objects.count() == 0
