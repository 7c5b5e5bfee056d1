"""The marketers' pages under /marketing/: campaigns (the landing page) and their report, segments
with the live count, broadcasts with the send button; a clerk is refused."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from o2o.core.models import OutboxMessage
from o2o.marketing.models import Broadcast, MessageTemplate, Segment
from o2o.pricing.models import Campaign
from o2o.staff.models import Role
from o2o.testing.factories import EmployeeFactory, MemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser():
    client = Client()
    client.force_login(EmployeeFactory(role=Role.MARKETER, home_location=None).user)
    return client


def test_the_landing_page_lists_campaigns_and_creates_one(browser):
    response = browser.post("/marketing/", {"name": "春季焕新", "starts_at": "2030-03-01T09:00",
                                            "ends_at": "2030-03-08T09:00", "control_percent": "10"})  # fmt: skip

    assert response.status_code == 302
    campaign = Campaign.objects.get()
    assert (campaign.name, campaign.control_percent) == ("春季焕新", 10)
    assert "春季焕新" in browser.get("/marketing/").content.decode()


def test_a_bad_campaign_form_is_a_form_error(browser):
    response = browser.post("/marketing/", {"name": "x", "starts_at": "2030-03-08T09:00",
                                            "ends_at": "2030-03-01T09:00", "control_percent": "60"})  # fmt: skip

    assert response.status_code == 200
    assert Campaign.objects.count() == 0


def test_the_report_page_shows_the_figures(browser):
    campaign = Campaign.objects.create(name="回流", starts_at=timezone.now() - timedelta(days=1))

    response = browser.get(f"/marketing/campaigns/{campaign.pk}/report/")

    assert response.status_code == 200
    assert 'id="uplift"' in response.content.decode()
    assert browser.get("/marketing/campaigns/999999/report/").status_code == 404


def test_the_segment_page_counts_as_you_type_and_saves(browser):
    MemberFactory(marketing_consent=True, marketing_consent_at=timezone.now())
    MemberFactory()

    count = browser.get("/marketing/segments/count", {"rules": '[{"kind": "marketing_consent", "value": true}]'},
                        headers={"HX-Request": "true"})  # fmt: skip
    bad = browser.get("/marketing/segments/count", {"rules": '[{"kind": "nope"}]'})
    saved = browser.post("/marketing/segments/", {"form": "segment", "name": "同意营销", "rules": "[]"})

    assert count.status_code == 200 and ">1 人<" in count.content.decode()  # the page speaks zh-Hans
    assert bad.status_code == 200 and 'class="error"' in bad.content.decode()
    assert saved.status_code == 302 and Segment.objects.get().name == "同意营销"


def test_the_broadcast_page_sends_a_broadcast(browser):
    member = MemberFactory(marketing_consent=True, marketing_consent_at=timezone.now())
    segment = Segment.objects.create(name="全部", rules=[])
    template = MessageTemplate.objects.create(name="回流", channel="sms", body="{name}您好")
    broadcast = Broadcast.objects.create(segment=segment, template=template)

    assert browser.get("/marketing/broadcasts/").status_code == 200
    response = browser.post(f"/marketing/broadcasts/{broadcast.pk}/send")

    assert response.status_code == 302
    assert list(OutboxMessage.objects.values_list("recipient", flat=True)) == [member.phone]


def test_a_clerk_may_not_open_the_marketing_pages(clerk):
    client = Client()
    client.force_login(clerk.user)

    for url in ("/marketing/", "/marketing/segments/", "/marketing/broadcasts/"):
        assert client.get(url).status_code == 403


def test_customer_service_is_refused_the_segment_and_broadcast_pages():
    client = Client()
    client.force_login(EmployeeFactory(role=Role.CS_AGENT, home_location=None).user)

    assert client.get("/marketing/segments/").status_code == 403
    assert client.get("/marketing/broadcasts/").status_code == 403
    assert client.get("/marketing/").status_code == 403
