"""Race tests on PostgreSQL: guesses fired at once cannot beat the counts."""

from collections import Counter

import pytest

from o2o.core.errors import ErrorCode
from o2o.members.models import Member, OneTimeCode
from o2o.members.services import prove_phone, send_sign_in_code, verify_sign_in_code
from o2o.testing.outbox import last_code_sent_to
from o2o.testing.races import domain_errors, requires_postgres, run_together, values

pytestmark = [pytest.mark.postgres, requires_postgres, pytest.mark.django_db(transaction=True)]

E164 = "+8613912345678"


def wrong(code: str, n: int) -> str:
    return f"{(int(code) + 1 + n) % 1_000_000:06d}"


def test_thirty_guesses_at_once_are_compared_at_most_five_times_and_lock_the_phone_at_ten():
    send_sign_in_code(phone=E164)
    code = last_code_sent_to(E164)

    outcomes = run_together([lambda n=n: prove_phone(phone=E164, code=wrong(code, n)) for n in range(30)])

    codes = Counter(error.code for error in domain_errors(outcomes))
    assert codes == {ErrorCode.INVALID_CODE: 10, ErrorCode.RATE_LIMITED: 20}
    assert OneTimeCode.objects.get().failed_attempts == 5
    with pytest.raises(Exception) as refused:
        prove_phone(phone=E164, code=code)
    assert refused.value.code == ErrorCode.RATE_LIMITED


def test_one_code_sent_at_once_by_ten_devices_signs_in_once():
    send_sign_in_code(phone=E164)
    code = last_code_sent_to(E164)

    outcomes = run_together([lambda: verify_sign_in_code(phone=E164, code=code) for _ in range(10)])

    assert len(values(outcomes)) == 1
    assert Counter(error.code for error in domain_errors(outcomes)) == {ErrorCode.INVALID_CODE: 9}
    assert Member.objects.count() == 1
