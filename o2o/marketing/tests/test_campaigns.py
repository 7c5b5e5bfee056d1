"""Campaigns through the API: create, change, end; who may; bad input is 4xx and writes nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from o2o.pricing.models import Campaign
from o2o.staff.models import Role
from o2o.testing.api import ApiClient, problem_code
from o2o.testing.factories import EmployeeFactory

pytestmark = pytest.mark.django_db


def _client(role: Role) -> ApiClient:
    return ApiClient(user=EmployeeFactory(role=role, home_location=None).user)


def _body(**changes) -> dict:
    start = timezone.now() + timedelta(days=1)
    body = {"name": "双十一回馈", "starts_at": start.isoformat(), "ends_at": (start + timedelta(days=7)).isoformat()}
    return {**body, **changes}


def test_a_marketer_creates_a_campaign_and_reads_it_with_its_offers():
    api = _client(Role.MARKETER)

    response = api.post("marketing/campaigns", _body(control_percent=10, description="老客回流"))

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["name"], body["control_percent"], body["status"], body["offers"]) == ("双十一回馈", 10, "upcoming", [])
    campaign = Campaign.objects.get()
    assert campaign.created_by_id is not None
    assert api.get(f"marketing/campaigns/{campaign.pk}").json()["description"] == "老客回流"
    assert [c["id"] for c in api.get("marketing/campaigns").json()["results"]] == [campaign.pk]


def test_the_campaign_lists_the_coupon_templates_that_name_it():
    from o2o.access.actors import SYSTEM
    from o2o.coupons.services import create_template

    api = _client(Role.MARKETER)
    campaign_id = api.post("marketing/campaigns", _body()).json()["id"]
    fields = {"kind": "amount_off", "amount": "10.00", "min_spend": "100.00", "valid_days": 30}
    template = create_template(actor=SYSTEM, name="满100减10", campaign_id=campaign_id, **fields)

    offers = api.get(f"marketing/campaigns/{campaign_id}").json()["offers"]

    assert offers == [{"kind": "coupons", "id": template.pk, "name": "满100减10"}]


@pytest.mark.parametrize(
    "changes",
    [
        {"control_percent": 51},
        {"control_percent": -1},
        {"control_percent": True},
        {"name": ""},
        {"ends_at": (timezone.now() - timedelta(days=3)).isoformat()},
        {"starts_at": "tomorrow"},
    ],
)
def test_bad_campaigns_are_422_and_nothing_is_written(changes):
    response = _client(Role.MARKETER).post("marketing/campaigns", _body(**changes))

    assert response.status_code == 422, response.content
    assert Campaign.objects.count() == 0


def test_the_control_group_is_fixed_once_the_campaign_started():
    api = _client(Role.MARKETER)
    started = _body(starts_at=(timezone.now() - timedelta(hours=1)).isoformat(), control_percent=10)
    campaign_id = api.post("marketing/campaigns", started).json()["id"]

    changed = api.post(f"marketing/campaigns/{campaign_id}", {**started, "control_percent": 20})
    renamed = api.post(f"marketing/campaigns/{campaign_id}", {**started, "name": "改名"})

    assert changed.status_code == 409 and problem_code(changed) == "conflict"
    assert renamed.status_code == 200
    assert Campaign.objects.get().control_percent == 10
    assert Campaign.objects.get().name == "改名"


def test_ending_a_running_campaign_and_not_an_upcoming_one():
    api = _client(Role.HQ)
    running = api.post("marketing/campaigns", _body(starts_at=(timezone.now() - timedelta(hours=1)).isoformat()))
    upcoming = api.post("marketing/campaigns", _body())

    ended = api.post(f"marketing/campaigns/{running.json()['id']}/end")
    refused = api.post(f"marketing/campaigns/{upcoming.json()['id']}/end")

    assert ended.status_code == 200 and ended.json()["status"] == "ended"
    assert refused.status_code == 409 and problem_code(refused) == "illegal_transition"
    assert api.post("marketing/campaigns/999999/end").status_code == 404


def test_an_online_operator_reads_campaigns_but_does_not_create_them():
    operator = _client(Role.ONLINE_OPERATOR)
    campaign_id = _client(Role.MARKETER).post("marketing/campaigns", _body()).json()["id"]

    assert operator.get(f"marketing/campaigns/{campaign_id}").status_code == 200
    assert operator.get(f"marketing/campaigns/{campaign_id}/report").status_code == 200
    assert operator.post("marketing/campaigns", _body()).status_code == 403
    assert Campaign.objects.count() == 1


def test_a_clerk_sees_no_campaigns(clerk):
    api = ApiClient(user=clerk.user)

    assert api.get("marketing/campaigns").status_code == 403
    assert api.post("marketing/campaigns", _body()).status_code == 403
