"""Joining from a store's QR over the API proves the phone first and tells a stranger nothing."""

import pytest
from django.utils import timezone

from o2o.access.models import ApiToken
from o2o.core.models import OutboxMessage
from o2o.members.models import Member
from o2o.testing.api import ApiClient, as_staff, problem_code
from o2o.testing.factories import MemberFactory
from o2o.testing.outbox import last_code_sent_to

pytestmark = pytest.mark.django_db

PHONE, E164 = "13912345678", "+8613912345678"


def ask_code(store, phone: str = PHONE):
    return ApiClient().post("members/join/code", {"phone": phone, "store_code": store.code})


def join(store, code: str, phone: str = PHONE, **details):
    return ApiClient().post("members/join", {"phone": phone, "code": code, "store_code": store.code, **details})


def test_nothing_is_created_or_credited_before_the_phone_is_proven(store, clerk):
    assert ask_code(store).status_code == 202
    assert not Member.objects.exists()

    # a join that only knows the phone (no code) or guesses the code creates nothing
    no_code = ApiClient().post("members/join", {"phone": PHONE, "store_code": store.code, "ref": clerk.code})
    guessed = join(store, "000000", ref=clerk.code)

    assert no_code.status_code == 422
    assert guessed.status_code == 400
    assert problem_code(guessed) == "invalid_code"
    assert not Member.objects.exists()
    assert not ApiToken.objects.exists()


def test_the_proven_phone_joins_credited_to_the_store_and_clerk_and_may_sign_in(store, clerk):
    ask_code(store)

    joined = join(store, last_code_sent_to(E164), name="李雷", ref=clerk.code)

    assert joined.status_code == 200
    member = Member.objects.get()
    assert (member.phone, member.name, member.acquiring_location, member.acquiring_employee) == (
        E164,
        "李雷",
        store,
        clerk,
    )
    me = ApiClient()
    me.headers["Authorization"] = f"Bearer {joined.json()['token']}"
    assert me.get("members/me").json()["id"] == member.pk


def test_a_stranger_cannot_tell_a_member_from_a_new_phone(store):
    MemberFactory(phone=E164, name="韩梅梅")

    for_member = ask_code(store, PHONE)
    for_new = ask_code(store, "13912340000")

    assert (for_member.status_code, for_member.content) == (for_new.status_code, for_new.content) == (202, b"")


def test_a_member_joining_again_gets_the_same_answer_and_keeps_the_first_credit(store, other_store, clerk):
    existing = MemberFactory(phone=E164, acquiring_location=other_store, registration_channel="store_qr")
    ask_code(store)

    again = join(store, last_code_sent_to(E164), name="换个名字", ref=clerk.code)

    assert again.status_code == 200
    assert set(again.json()) == {"token", "token_type"}
    existing.refresh_from_db()
    assert (existing.acquiring_location, existing.acquiring_employee, existing.name) == (
        other_store,
        None,
        existing.name,
    )


def test_consent_is_recorded_only_when_given_with_time_and_source(store):
    ask_code(store)
    join(store, last_code_sent_to(E164), marketing_consent=False)
    ask_code(store, "13912340000")
    before = timezone.now()

    join(store, last_code_sent_to("+8613912340000"), phone="13912340000", marketing_consent=True)

    silent, consenting = Member.objects.order_by("pk")
    assert (silent.marketing_consent, silent.marketing_consent_at, silent.marketing_consent_source) == (False, None, "")
    assert consenting.marketing_consent is True
    assert consenting.marketing_consent_at >= before
    assert consenting.marketing_consent_source == f"store_qr:{store.code}"


def test_an_earlier_consent_keeps_its_record(store):
    given_at = timezone.now().replace(year=2025)
    MemberFactory(phone=E164, marketing_consent=True, marketing_consent_at=given_at, marketing_consent_source="pos")
    ask_code(store)

    join(store, last_code_sent_to(E164), marketing_consent=True)

    member = Member.objects.get()
    assert (member.marketing_consent_at, member.marketing_consent_source) == (given_at, "pos")


def test_an_unknown_store_is_404_and_sends_nothing():
    response = ApiClient().post("members/join/code", {"phone": PHONE, "store_code": "NOPE"})

    assert response.status_code == 404
    assert not OutboxMessage.objects.exists()


def test_thirty_wrong_join_codes_lock_the_phone(store):
    ask_code(store)
    code = last_code_sent_to(E164)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    answers = [join(store, wrong) for _ in range(30)]

    assert [a.status_code for a in answers] == [400] * 10 + [429] * 20
    assert join(store, code).status_code == 429
    assert not Member.objects.exists()


def test_the_counter_sign_up_by_a_clerk_stays_and_records_consent_at_the_store(store, clerk):
    response = as_staff(clerk).post("members", {"phone": PHONE, "name": "李雷", "marketing_consent": True})

    assert response.status_code == 201
    member = Member.objects.get()
    assert (member.registration_channel, member.acquiring_employee) == ("pos", clerk)
    assert member.marketing_consent_source == f"pos:{store.code}"


def test_anonymous_callers_cannot_sign_members_up_at_the_counter(store):
    response = ApiClient().post("members", {"phone": PHONE})

    assert response.status_code == 401
    assert not Member.objects.exists()


def test_a_consent_without_a_time_is_refused_by_the_database():
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        MemberFactory(marketing_consent=True)
