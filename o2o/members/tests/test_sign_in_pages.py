"""The sign-in pages keep the same counts as the API: wrong codes and passwords lock with 429."""

import pytest

from o2o.members.models import Member
from o2o.testing.api import ApiClient
from o2o.testing.factories import PASSWORD
from o2o.testing.outbox import last_code_sent_to
from o2o.web.auth import MEMBER_SESSION_KEY

pytestmark = pytest.mark.django_db

PHONE, E164 = "13912345678", "+8613912345678"


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_thirty_wrong_codes_on_the_member_page_then_the_right_one_is_refused(client):
    client.post("/shop/signin/", {"phone": PHONE})
    code = last_code_sent_to(E164)

    answers = [client.post("/shop/signin/", {"phone": PHONE, "code": wrong(code)}) for _ in range(30)]
    right = client.post("/shop/signin/", {"phone": PHONE, "code": code})

    assert [a.status_code for a in answers] == [422] * 10 + [429] * 20
    assert right.status_code == 429
    assert 'class="errorlist nonfield"' in right.content.decode()
    assert MEMBER_SESSION_KEY not in client.session
    assert not Member.objects.exists()


def test_too_many_codes_asked_on_the_page_is_429_with_a_message(client):
    answers = [client.post("/shop/signin/", {"phone": PHONE}) for _ in range(6)]

    assert [a.status_code for a in answers] == [200] * 5 + [429]
    assert 'class="errorlist nonfield"' in answers[-1].content.decode()


def test_misses_on_the_api_and_the_page_add_up(client):
    ApiClient().post("auth/otp", {"phone": PHONE})
    code = last_code_sent_to(E164)
    for _ in range(5):
        ApiClient().post("auth/member-token", {"phone": PHONE, "code": wrong(code)})
    client.post("/shop/signin/", {"phone": PHONE})
    fresh = last_code_sent_to(E164)
    for _ in range(5):
        client.post("/shop/signin/", {"phone": PHONE, "code": wrong(fresh)})
    ApiClient().post("auth/otp", {"phone": PHONE})

    response = client.post("/shop/signin/", {"phone": PHONE, "code": last_code_sent_to(E164)})

    assert response.status_code == 429
    assert not Member.objects.exists()


def staff_page_sign_in(client, username: str, password: str):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_thirty_wrong_passwords_on_the_staff_page_then_the_right_one_is_refused(client, clerk):
    username = clerk.user.username

    answers = [staff_page_sign_in(client, username, f"guess-{n}") for n in range(30)]
    right = staff_page_sign_in(client, username, PASSWORD)

    assert [a.status_code for a in answers] == [200] * 5 + [429] * 25
    assert right.status_code == 429
    assert 'class="errorlist nonfield"' in right.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_staff_page_and_the_api_share_the_usernames_budget(client, clerk):
    username = clerk.user.username
    for n in range(3):
        ApiClient().post("auth/staff-token", {"username": username, "password": f"guess-{n}"})
    for n in range(2):
        staff_page_sign_in(client, username, f"page-{n}")

    assert staff_page_sign_in(client, username, PASSWORD).status_code == 429
    assert ApiClient().post("auth/staff-token", {"username": username, "password": PASSWORD}).status_code == 429


def test_the_right_password_on_the_page_still_signs_in(client, clerk):
    response = staff_page_sign_in(client, clerk.user.username, PASSWORD)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(clerk.user.pk)
