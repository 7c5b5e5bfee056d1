"""The API as an attacker would use it: another member's messages, unknown channels, HQ's texts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from o2o.notifications.models import Notification, NotificationPreference, NotificationTemplate
from o2o.staff.models import Role
from o2o.testing.api import ApiClient, as_member, as_staff, problem_code
from o2o.testing.factories import EmployeeFactory, MemberFactory
from o2o.testing.journeys import paid_pickup_order

pytestmark = pytest.mark.django_db


def _put(client: ApiClient, path: str, body):
    return client._call("put", path, body)


def test_a_member_starts_with_sms_in_chinese_and_chooses_channels_and_language(member):
    me = as_member(member)
    assert me.get("me/notification-preferences").json() == {"channels": ["sms"], "language": "zh-hans"}

    chosen = _put(me, "me/notification-preferences", {"channels": ["push", "wechat"], "language": "en"})

    assert chosen.status_code == 200, chosen.content
    assert chosen.json() == {"channels": ["wechat", "push"], "language": "en"}
    row = NotificationPreference.objects.get(member=member)
    assert (row.sms, row.wechat, row.push, row.language) == (False, True, True, "en")
    again = _put(me, "me/notification-preferences", {"channels": ["sms"], "language": "zh-hans"})
    assert again.json() == {"channels": ["sms"], "language": "zh-hans"}
    assert NotificationPreference.objects.count() == 1


@pytest.mark.parametrize(
    "body",
    [
        {"channels": ["fax"], "language": "en"},
        {"channels": [], "language": "en"},
        {"channels": ["sms"], "language": "fr"},
        {"channels": "sms", "language": "en"},
        {"channels": ["sms", "sms", "sms", "sms"], "language": "en"},
        {"language": "en"},
    ],
)
def test_bad_preferences_are_a_422_and_nothing_is_written(member, body):
    response = _put(as_member(member), "me/notification-preferences", body)

    assert response.status_code == 422, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    assert NotificationPreference.objects.count() == 0


def test_staff_and_strangers_cannot_set_preferences(clerk):
    body = {"channels": ["sms"], "language": "en"}
    assert _put(as_staff(clerk), "me/notification-preferences", body).status_code == 403
    assert _put(ApiClient(), "me/notification-preferences", body).status_code == 401
    assert NotificationPreference.objects.count() == 0


def test_a_member_sees_only_their_own_notifications_newest_first(store, member, sku):
    stranger = MemberFactory()
    first = paid_pickup_order(member=member, store=store, sku=sku)
    second = paid_pickup_order(member=member, store=store, sku=sku)
    paid_pickup_order(member=stranger, store=store, sku=sku)

    page = as_member(member).get("me/notifications", page_size=1)
    assert page.status_code == 200, page.content
    assert [n["order_id"] for n in page.json()["results"]] == [second.pk]
    rest = as_member(member).get("me/notifications", cursor=page.json()["next"].split("cursor=")[1].split("&")[0])
    assert [n["order_id"] for n in rest.json()["results"]] == [first.pk]
    item = page.json()["results"][0]
    assert (item["kind"], item["channels"], item["order_number"]) == ("paid_pickup", ["sms"], second.number)
    assert "**** ****" in item["text"]
    assert [n["order_id"] for n in as_member(stranger).get("me/notifications").json()["results"]] == [
        Notification.objects.get(member=stranger).order_id
    ]


@pytest.fixture
def hq():
    return EmployeeFactory(role=Role.HQ)


def _template(kind="ready_for_pickup", language="zh-hans", channel="sms") -> NotificationTemplate:
    return NotificationTemplate.objects.get(kind=kind, language=language, channel=channel)


def test_every_kind_language_and_channel_has_a_seeded_template(hq):
    listed = as_staff(hq).get("notification-templates")

    assert listed.status_code == 200, listed.content
    assert len(listed.json()) == 10 * 2 * 3
    ready = as_staff(hq).get("notification-templates", kind="ready_for_pickup").json()
    assert {(t["language"], t["channel"]) for t in ready} == {
        (lang, ch) for lang in ("zh-hans", "en") for ch in ("sms", "wechat", "push")
    }
    assert "pickup_code" in ready[0]["placeholders"] and "eta" not in ready[0]["placeholders"]


def test_hq_rewords_a_template_and_the_next_message_uses_it(hq, store, member, sku):
    template = _template("paid_pickup")
    body = "{name}，订单{order_number}付好了，取货码{pickup_code}。"

    changed = _put(as_staff(hq), f"notification-templates/{template.pk}", {"body": body})

    assert changed.status_code == 200, changed.content
    assert changed.json()["body"] == body
    order = paid_pickup_order(member=member, store=store, sku=sku)
    text = Notification.objects.get(order=order).text
    assert text.startswith(f"{member.name}，订单{order.number}付好了，取货码**** **** ")


def test_the_text_is_read_once_for_many_messages_and_a_rewording_applies_at_once(hq, store, member, sku):
    with CaptureQueriesContext(connection) as first_two:
        paid_pickup_order(member=member, store=store, sku=sku)
        paid_pickup_order(member=member, store=store, sku=sku)
    # counted now: a request (the PUT below) empties the query log
    template_reads = sum("notifications_notificationtemplate" in q["sql"] for q in first_two)
    path = f"notification-templates/{_template('paid_pickup').pk}"
    assert _put(as_staff(hq), path, {"body": "改过了{order_number}"}).status_code == 200

    order = paid_pickup_order(member=member, store=store, sku=sku)

    assert template_reads == 1
    assert Notification.objects.get(order=order).text == f"改过了{order.number}"


@pytest.mark.parametrize(
    "body",
    [
        "订单{order_number}预计{eta}到",  # eta is not a placeholder of 'ready'
        "取货码{pickup_code.__class__}",
        "金额{amount:>10}",
        "取货码{pickup_code!r}",
        "一个孤单的{括号",
        "{}",
        "   ",
    ],
)
def test_a_bad_placeholder_is_a_422_and_the_text_is_kept(hq, body):
    template = _template()
    before = template.body

    response = _put(as_staff(hq), f"notification-templates/{template.pk}", {"body": body})

    assert response.status_code == 422, response.content
    assert problem_code(response) == "invalid"
    template.refresh_from_db()
    assert template.body == before


def test_an_unknown_placeholder_is_named_in_the_problem(hq):
    response = _put(as_staff(hq), f"notification-templates/{_template().pk}", {"body": "预计{eta}，{foo}"})
    assert response.json()["unknown"] == ["eta", "foo"]


def test_a_wechat_template_needs_field_lines(hq):
    template = _template(channel="wechat")
    response = _put(as_staff(hq), f"notification-templates/{template.pk}", {"body": "没有字段的文字{order_number}"})
    assert response.status_code == 422
    ok = _put(
        as_staff(hq),
        f"notification-templates/{template.pk}",
        {"body": "character_string1: {order_number}\nthing2: 请取货", "wechat_template_id": "TPL-1"},
    )
    assert ok.status_code == 200, ok.content
    assert ok.json()["wechat_template_id"] == "TPL-1"


def test_members_and_store_staff_cannot_touch_templates(member, clerk, store):
    template = _template()
    manager = EmployeeFactory(role=Role.STORE_MANAGER, home_location=store)
    for client in (as_member(member), as_staff(clerk), as_staff(manager)):
        assert client.get("notification-templates").status_code == 403
        assert _put(client, f"notification-templates/{template.pk}", {"body": "好了"}).status_code == 403
    assert _put(ApiClient(), f"notification-templates/{template.pk}", {"body": "好了"}).status_code == 401
    template.refresh_from_db()
    assert template.body != "好了"


def test_an_unknown_template_is_a_404(hq):
    assert _put(as_staff(hq), "notification-templates/999999", {"body": "好了"}).status_code == 404


def test_my_notifications_cost_the_same_queries_for_one_or_many(store, member, sku):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    paid_pickup_order(member=member, store=store, sku=sku)
    me = as_member(member)
    with CaptureQueriesContext(connection) as one:
        assert len(me.get("me/notifications").json()["results"]) == 1
    for _ in range(4):
        paid_pickup_order(member=member, store=store, sku=sku)
    with CaptureQueriesContext(connection) as five:
        assert len(me.get("me/notifications").json()["results"]) == 5

    assert len(five) == len(one)
