"""A low survey score opens a complaint ticket in the customer's name, once."""

import pytest

from o2o.aftercare.models import FollowUpVisit, SurveyResponse
from o2o.aftercare.tests.helpers import picked_up_order, survey_token, visits_due
from o2o.service.models import Ticket
from o2o.testing.api import ApiClient
from o2o.testing.factories import SKUFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def token(member, store):
    picked_up_order(member=member, store=store, sku=SKUFactory())
    visits_due(days=4)
    return survey_token(member)


def _answer(token, body):
    return ApiClient().post(f"follow-ups/surveys/{token}", body)


def test_a_low_score_opens_a_complaint_in_the_customers_name(token, member):
    response = _answer(token, {"score": 2, "comment": "等了很久"})

    assert response.status_code == 201, response.content
    answer = SurveyResponse.objects.get()
    ticket = Ticket.objects.get()
    assert answer.complaint_ticket_id == ticket.pk
    assert (ticket.kind, ticket.member_id, ticket.order_id) == (
        "complaint",
        member.pk,
        FollowUpVisit.objects.get().order_id,
    )
    assert ticket.messages.filter(author_kind="customer", body="等了很久").exists()


def test_a_good_score_opens_no_ticket(token):
    _answer(token, {"score": 3})

    assert Ticket.objects.count() == 0
