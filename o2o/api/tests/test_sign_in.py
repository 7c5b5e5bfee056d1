"""Signing in as an attacker would: wrong codes and passwords count, survive the error, and lock."""

import pytest

from o2o.access.models import ApiToken
from o2o.members.models import Member, OneTimeCode
from o2o.testing.api import ApiClient, problem_code
from o2o.testing.factories import PASSWORD, EmployeeFactory
from o2o.testing.outbox import last_code_sent_to

pytestmark = pytest.mark.django_db

PHONE, E164 = "13912345678", "+8613912345678"


def ask_code(phone: str = PHONE, **headers):
    return ApiClient().post("auth/otp", {"phone": phone}, headers=headers)


def try_code(code: str, phone: str = PHONE, **headers):
    return ApiClient().post("auth/member-token", {"phone": phone, "code": code}, headers=headers)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_thirty_wrong_codes_then_the_right_one_is_still_refused():
    # given a code sent to the phone
    assert ask_code().status_code == 202
    code = last_code_sent_to(E164)

    # when an attacker tries 30 wrong codes
    answers = [try_code(wrong(code)) for _ in range(30)]

    # then the first ten are wrong codes and from then on the phone is locked, with Retry-After
    assert [a.status_code for a in answers] == [400] * 10 + [429] * 20
    assert problem_code(answers[-1]) == "rate_limited"
    assert 1 <= int(answers[-1]["Retry-After"]) <= 30 * 60
    assert answers[-1].json()["retry_after"] == int(answers[-1]["Retry-After"])
    # and the right code is refused too, and nothing was created
    assert try_code(code).status_code == 429
    assert not Member.objects.exists()
    assert not ApiToken.objects.exists()


def test_a_code_dies_after_five_misses_even_before_the_phone_locks():
    ask_code()
    code = last_code_sent_to(E164)

    misses = [try_code(wrong(code)) for _ in range(5)]
    right = try_code(code)

    assert [m.status_code for m in misses] == [400] * 5
    assert right.status_code == 400
    assert problem_code(right) == "invalid_code"
    assert OneTimeCode.objects.get().failed_attempts == 5
    assert not Member.objects.exists()


def test_a_locked_phone_refuses_a_fresh_code_too():
    ask_code()
    code = last_code_sent_to(E164)
    for _ in range(5):
        try_code(wrong(code))
    ask_code()
    fresh = last_code_sent_to(E164)
    for _ in range(5):
        try_code(wrong(fresh))
    ask_code()

    response = try_code(last_code_sent_to(E164))

    assert response.status_code == 429
    assert not Member.objects.exists()


def test_the_right_code_after_a_few_misses_signs_in_and_the_misses_start_again():
    ask_code()
    code = last_code_sent_to(E164)
    for _ in range(4):
        try_code(wrong(code))

    response = try_code(code)

    assert response.status_code == 200
    assert Member.objects.get().phone == E164
    ask_code()
    fresh = last_code_sent_to(E164)
    assert [try_code(wrong(fresh)).status_code for _ in range(5)] == [400] * 5  # not locked at 4 + 6


def test_a_code_typed_in_full_width_digits_with_spaces_signs_in():
    ask_code()
    code = last_code_sent_to(E164)
    typed = " ".join(chr(ord("０") + int(d)) for d in code[:3]) + "-" + code[3:]

    response = try_code(typed)

    assert response.status_code == 200, response.content


def test_codes_per_phone_are_limited_with_retry_after():
    answers = [ask_code() for _ in range(6)]

    assert [a.status_code for a in answers] == [202] * 5 + [429]
    assert int(answers[-1]["Retry-After"]) >= 1
    assert OneTimeCode.objects.count() == 5


def test_codes_per_client_address_are_limited_whatever_phones_it_asks_for():
    phones = [f"1391234{n:04d}" for n in range(21)]

    answers = [ask_code(phone) for phone in phones]

    assert [a.status_code for a in answers] == [202] * 20 + [429]
    assert OneTimeCode.objects.count() == 20


def test_a_forged_forwarded_for_header_does_not_buy_a_new_budget():
    answers = [ask_code(f"1391234{n:04d}", **{"X-Forwarded-For": f"10.0.0.{n}"}) for n in range(21)]

    assert answers[-1].status_code == 429


def test_behind_a_trusted_proxy_the_address_it_saw_is_the_client(settings):
    settings.O2O_TRUSTED_PROXIES = 1
    for n in range(20):
        ask_code(f"1391234{n:04d}", **{"X-Forwarded-For": "6.6.6.6, 10.0.0.1"})

    same_client = ask_code("13912349999", **{"X-Forwarded-For": "7.7.7.7, 10.0.0.1"})
    other_client = ask_code("13912348888", **{"X-Forwarded-For": "10.0.0.2"})

    assert same_client.status_code == 429
    assert other_client.status_code == 202


def test_the_whole_site_sends_only_so_many_codes_a_minute(settings):
    settings.O2O_OTP_PER_MINUTE = "3/minute"

    answers = [ask_code(f"1391234{n:04d}", REMOTE_ADDR=f"10.0.0.{n}") for n in range(4)]

    assert [a.status_code for a in answers] == [202, 202, 202, 429]


def staff_sign_in(username: str, password: str, **headers):
    return ApiClient().post("auth/staff-token", {"username": username, "password": password}, headers=headers)


def test_thirty_wrong_passwords_then_the_right_one_is_still_refused(clerk):
    username = clerk.user.username

    answers = [staff_sign_in(username, f"guess-{n}") for n in range(30)]
    right = staff_sign_in(username, PASSWORD)

    assert [a.status_code for a in answers] == [401] * 5 + [429] * 25
    assert right.status_code == 429
    assert problem_code(right) == "rate_limited"
    assert int(right["Retry-After"]) >= 1
    assert not ApiToken.objects.exists()


def test_the_username_is_throttled_whatever_its_case(clerk):
    username = clerk.user.username
    for n in range(5):
        staff_sign_in(username.upper() if n % 2 else username, f"guess-{n}")

    assert staff_sign_in(username, PASSWORD).status_code == 429


def test_one_address_trying_many_usernames_is_throttled(clerk):
    others = [f"nobody{n}" for n in range(20)]

    answers = [staff_sign_in(name, "guess") for name in others]
    right = staff_sign_in(clerk.user.username, PASSWORD)

    assert [a.status_code for a in answers] == [401] * 20
    assert right.status_code == 429
    assert not ApiToken.objects.exists()


def test_the_right_password_signs_in_and_clears_the_usernames_misses(store):
    employee = EmployeeFactory(home_location=store)
    username = employee.user.username
    for n in range(4):
        staff_sign_in(username, f"guess-{n}")

    assert staff_sign_in(username, PASSWORD).status_code == 200
    assert [staff_sign_in(username, f"again-{n}").status_code for n in range(5)] == [401] * 5
