import pytest

from o2o.core.errors import DomainError, ErrorCode
from o2o.core.idempotency import fingerprint, run_once
from o2o.core.models import IdempotencyRecord, OutboxMessage
from o2o.testing.races import requires_postgres, run_together, values

pytestmark = pytest.mark.django_db(transaction=True)


def _send(text: str) -> dict:
    message = OutboxMessage.objects.create(channel="sms", recipient="+8613800138000", body=text)
    return {"message_id": message.pk}


def test_a_retry_with_the_same_key_returns_the_first_result_and_does_no_work():
    request = fingerprint(text="hello")

    first = run_once(scope="user:1", operation="send", key="k1", fingerprint=request, perform=lambda: _send("hello"))
    again = run_once(scope="user:1", operation="send", key="k1", fingerprint=request, perform=lambda: _send("hello"))

    assert again == first
    assert OutboxMessage.objects.count() == 1


def test_the_same_key_for_another_request_is_a_conflict_and_writes_nothing():
    run_once(scope="user:1", operation="send", key="k1", fingerprint=fingerprint(text="a"), perform=lambda: _send("a"))

    with pytest.raises(DomainError) as refused:
        run_once(
            scope="user:1", operation="send", key="k1", fingerprint=fingerprint(text="b"), perform=lambda: _send("b")
        )

    assert refused.value.code == ErrorCode.IDEMPOTENCY_CONFLICT
    assert list(OutboxMessage.objects.values_list("body", flat=True)) == ["a"]


def test_keys_are_per_caller_and_per_operation():
    request = fingerprint(text="a")

    run_once(scope="user:1", operation="send", key="k", fingerprint=request, perform=lambda: _send("a"))
    run_once(scope="user:2", operation="send", key="k", fingerprint=request, perform=lambda: _send("a"))
    run_once(scope="user:1", operation="other", key="k", fingerprint=request, perform=lambda: _send("a"))

    assert OutboxMessage.objects.count() == 3


def test_work_that_fails_keeps_no_record_so_a_retry_runs_again():
    def fail() -> dict:
        _send("lost")
        raise DomainError(ErrorCode.INVALID, "no")

    with pytest.raises(DomainError):
        run_once(scope="user:1", operation="send", key="k", fingerprint="f", perform=fail)

    assert not IdempotencyRecord.objects.exists() and not OutboxMessage.objects.exists()
    result = run_once(scope="user:1", operation="send", key="k", fingerprint="f", perform=lambda: _send("ok"))
    assert OutboxMessage.objects.get().pk == result["message_id"]


def test_an_overlong_key_is_refused():
    with pytest.raises(DomainError) as refused:
        run_once(scope="user:1", operation="send", key="x" * 81, fingerprint="f", perform=lambda: _send("a"))

    assert refused.value.code == ErrorCode.INVALID


@pytest.mark.postgres
@requires_postgres
def test_ten_racing_retries_of_one_key_do_the_work_once():
    request = fingerprint(text="once")

    outcomes = run_together(
        [
            lambda: run_once(scope="user:1", operation="send", key="k", fingerprint=request, perform=lambda: _send("x"))
            for _ in range(10)
        ]
    )

    results = values(outcomes)
    assert len(results) == 10 and len({r["message_id"] for r in results}) == 1
    assert OutboxMessage.objects.count() == 1
