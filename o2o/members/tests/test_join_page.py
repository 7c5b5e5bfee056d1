import re

import pytest

from o2o.members.models import Member, OneTimeCode
from o2o.testing.factories import MemberFactory
from o2o.testing.outbox import last_code_sent_to

pytestmark = pytest.mark.django_db

# What differs between any two renders of a page: the masked CSRF token and the CSP nonce.
PER_RENDER = re.compile(r'(value="|"X-CSRFToken": "|nonce=")[^"]+"')


def page_text(response, phone: str) -> str:
    return PER_RENDER.sub(r'\1"', response.content.decode()).replace(phone, "PHONE")


def test_the_store_qr_page_signs_a_customer_up_once_the_code_proves_the_phone(client, store, clerk):
    page = client.get(f"/join/{store.code}?ref={clerk.code}")
    assert page.status_code == 200
    assert store.name in page.content.decode()
    details = {"phone": "13912345678", "name": "韩梅梅", "ref": clerk.code}

    # step 1: a code goes to the phone; nobody is created yet
    asked = client.post(f"/join/{store.code}?ref={clerk.code}", details)
    assert asked.status_code == 200
    assert 'name="code"' in asked.content.decode()
    assert not Member.objects.exists()

    # step 2: the code proves the phone
    response = client.post(
        f"/join/{store.code}?ref={clerk.code}", {**details, "code": last_code_sent_to("+8613912345678")}
    )

    assert response.status_code == 200
    assert "+86139****5678" in response.content.decode()
    member = Member.objects.get()
    assert (member.acquiring_location, member.acquiring_employee, member.registration_channel) == (
        store,
        clerk,
        "store_qr",
    )
    assert (member.marketing_consent, member.marketing_consent_at) == (False, None)
    assert client.get("/shop/orders/").status_code == 200  # signed in: no second code to shop


def test_a_wrong_code_shows_a_field_error_and_creates_nothing(client, store):
    client.post(f"/join/{store.code}", {"phone": "13912345678"})

    response = client.post(f"/join/{store.code}", {"phone": "13912345678", "code": "000000"})

    assert response.status_code == 422
    assert "验证码错误或已过期" in response.content.decode()
    assert not Member.objects.exists()


def test_many_wrong_codes_lock_the_phone_with_429(client, store):
    client.post(f"/join/{store.code}", {"phone": "13912345678"})
    code = last_code_sent_to("+8613912345678")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    answers = [client.post(f"/join/{store.code}", {"phone": "13912345678", "code": wrong}) for _ in range(11)]
    right = client.post(f"/join/{store.code}", {"phone": "13912345678", "code": code})

    assert [a.status_code for a in answers] == [422] * 10 + [429]
    assert right.status_code == 429
    assert not Member.objects.exists()


def test_the_first_step_looks_the_same_for_a_member_and_a_new_phone(client, store):
    MemberFactory(phone="+8613912345678", name="韩梅梅")

    for_member = page_text(client.post(f"/join/{store.code}", {"phone": "13912345678"}), "13912345678")
    for_new = page_text(client.post(f"/join/{store.code}", {"phone": "13912340000"}), "13912340000")

    assert for_member == for_new
    assert "韩梅梅" not in for_member
    assert OneTimeCode.objects.count() == 2


def test_a_bad_phone_shows_a_field_error_in_chinese_and_writes_nothing(client, store):
    response = client.post(f"/join/{store.code}", {"phone": "12345"})

    assert response.status_code == 422
    assert "手机号" in response.content.decode()
    assert not Member.objects.exists()
    assert not OneTimeCode.objects.exists()


def test_an_unknown_store_is_404(client):
    assert client.get("/join/NOPE").status_code == 404
