"""JSON endpoints take JSON only: what an HTML form on another site can send is refused with 415."""

import json

import pytest
from django.test import Client

from o2o.core.models import OutboxMessage
from o2o.members.models import Member, OneTimeCode
from o2o.testing.api import ApiClient, problem_code

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "content_type, body",
    [
        ("text/plain", '{"phone": "13912345678"}'),
        ("application/x-www-form-urlencoded", "phone=13912345678"),
        (
            "multipart/form-data; boundary=x",
            '--x\r\nContent-Disposition: form-data; name="phone"\r\n\r\n13912345678\r\n--x--',
        ),
    ],
)
def test_a_code_cannot_be_requested_with_a_form_body(content_type, body):
    response = Client().post("/api/v1/auth/otp", body, content_type=content_type)

    assert response.status_code == 415
    assert problem_code(response) == "unsupported_media_type"
    assert not OneTimeCode.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_joining_cannot_be_posted_from_a_form(store):
    body = f"phone=13912345678&code=123456&store_code={store.code}"

    response = Client().post("/api/v1/members/join", body, content_type="application/x-www-form-urlencoded")

    assert response.status_code == 415
    assert not Member.objects.exists()


def test_a_signed_in_member_cannot_be_made_to_order_by_a_text_plain_post(member, store):
    response = ApiClient(member=member).post("orders", "{}", headers={})
    assert response.status_code == 422  # JSON is parsed as before

    forged = ApiClient(member=member).client.post(
        "/api/v1/orders",
        json.dumps({"channel": "app"}),
        content_type="text/plain",
        headers=ApiClient(member=member).headers,
    )

    assert forged.status_code == 415


def test_json_with_a_charset_and_a_json_suffix_type_are_accepted():
    plain = Client().post("/api/v1/auth/otp", {"phone": "13912345678"}, content_type="application/json; charset=utf-8")
    suffixed = Client().post("/api/v1/auth/otp", {"phone": "13912345679"}, content_type="application/merge-patch+json")

    assert (plain.status_code, suffixed.status_code) == (202, 202)


def test_a_post_without_a_body_is_not_refused_for_its_type(member):
    client = ApiClient(member=member)

    response = client.client.post("/api/v1/auth/otp", "", content_type="text/plain", headers=client.headers)

    assert response.status_code == 422  # validation, not 415: there is no body to forge
