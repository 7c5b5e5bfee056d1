"""The member's notification settings (/shop/notifications/) and HQ's texts (/hq/notification-templates/)."""

import re

import pytest
from django.test import Client

from o2o.notifications.models import NotificationPreference, NotificationTemplate
from o2o.staff.models import Role
from o2o.testing.factories import EmployeeFactory
from o2o.testing.journeys import paid_pickup_order
from o2o.web.auth import MEMBER_SESSION_KEY

pytestmark = pytest.mark.django_db
PAGE = "/shop/notifications/"
HQ_PAGE = "/hq/notification-templates/"


def _signed_in(member) -> Client:
    client = Client()
    session = client.session
    session[MEMBER_SESSION_KEY] = member.pk
    session.save()
    return client


def _staff(role: Role, location=None) -> Client:
    client = Client()
    client.force_login(EmployeeFactory(role=role, home_location=location).user)
    return client


def test_the_settings_page_is_linked_from_my_data_and_shows_sms_chosen(member):
    me = _signed_in(member)
    assert PAGE in me.get("/shop/my-data/").content.decode()

    html = me.get(PAGE).content.decode()

    assert re.search(r'<input[^>]*value="sms"[^>]*checked', html)
    assert not re.search(r'<input[^>]*value="push"[^>]*checked', html)
    assert Client().get(PAGE).status_code == 302  # signed-out: to the sign-in page


def test_a_member_chooses_wechat_in_english_and_sees_their_messages(member, store, sku):
    paid_pickup_order(member=member, store=store, sku=sku)
    me = _signed_in(member)

    response = me.post(PAGE, {"channels": ["wechat"], "language": "en"})

    assert response.status_code == 302
    row = NotificationPreference.objects.get(member=member)
    assert (row.sms, row.wechat, row.push, row.language) == (False, True, False, "en")
    html = me.get(PAGE).content.decode()
    assert 'data-kind="paid_pickup"' in html and "**** ****" in html


@pytest.mark.parametrize(
    "form", [{"language": "en"}, {"channels": ["fax"], "language": "en"}, {"channels": ["sms"], "language": "xx"}]
)
def test_no_channel_or_junk_is_a_form_error_and_nothing_is_written(member, form):
    response = _signed_in(member).post(PAGE, form)

    assert response.status_code == 422
    assert NotificationPreference.objects.count() == 0


def test_hq_rewords_a_text_from_the_page_linked_from_the_dashboard():
    hq = _staff(Role.HQ)
    assert HQ_PAGE in hq.get("/hq/").content.decode()
    template = NotificationTemplate.objects.get(kind="delivered", language="zh-hans", channel="sms")
    assert f"/hq/notification-templates/{template.pk}/" in hq.get(f"{HQ_PAGE}?kind=delivered").content.decode()

    response = hq.post(f"{HQ_PAGE}{template.pk}/", {"kind": "delivered", "body": "订单{order_number}送到了。"})

    assert response.status_code == 302
    template.refresh_from_db()
    assert template.body == "订单{order_number}送到了。"


def test_an_unknown_placeholder_on_the_page_is_a_form_error_and_the_text_is_kept():
    template = NotificationTemplate.objects.get(kind="delivered", language="zh-hans", channel="sms")
    before = template.body

    response = _staff(Role.HQ).post(f"{HQ_PAGE}{template.pk}/", {"kind": "delivered", "body": "取货码{pickup_code}"})

    assert response.status_code == 422
    assert "{pickup_code}" in response.content.decode()
    template.refresh_from_db()
    assert template.body == before


def test_store_staff_and_members_cannot_open_or_save_the_texts(store, member):
    template = NotificationTemplate.objects.get(kind="delivered", language="zh-hans", channel="sms")
    for client in (_staff(Role.CLERK, store), _staff(Role.STORE_MANAGER, store)):
        assert client.get(HQ_PAGE).status_code == 403
        assert client.post(f"{HQ_PAGE}{template.pk}/", {"kind": "delivered", "body": "好"}).status_code == 403
    assert _signed_in(member).get(HQ_PAGE).status_code == 302
    template.refresh_from_db()
    assert template.body != "好"
