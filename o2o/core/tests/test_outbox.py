"""Messages are retried: backoff after a failed send, failed for good after N tries (secret
wiped), a sweep that sends what a crash left behind, one sender at a time, and a back office
that shows failures but never the code."""

import threading
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from o2o.core import messaging, periodic
from o2o.core.messaging import queue_message
from o2o.core.models import OutboxMessage
from o2o.testing import outbox
from o2o.testing.factories import UserFactory
from o2o.testing.races import requires_postgres, run_together

pytestmark = pytest.mark.django_db
PHONE = "+8613800138000"


class FlakyBackend:
    """Fails while `failures_left` > 0 (each failure echoes the text, as some gateways do)."""

    failures_left = 0

    def send(self, message: OutboxMessage) -> None:
        if FlakyBackend.failures_left > 0:
            FlakyBackend.failures_left -= 1
            raise ConnectionError(f"gateway refused: {message.text()}")
        outbox.SENT.append((message.recipient, message.text()))


@pytest.fixture
def flaky(settings):
    settings.O2O_MESSAGE_BACKEND = f"{__name__}.FlakyBackend"
    settings.O2O_OUTBOX_MAX_ATTEMPTS = 3
    settings.O2O_OUTBOX_RETRY_SECONDS = 30
    FlakyBackend.failures_left = 0
    return FlakyBackend


def _queue_code(commit, code="246810") -> OutboxMessage:
    with commit(execute=True):
        message = queue_message(channel="sms", recipient=PHONE, body="Your code is {secret}", secret=code)
    message.refresh_from_db()
    return message


def test_a_failed_send_is_retried_later_with_growing_waits(flaky, django_capture_on_commit_callbacks):
    flaky.failures_left = 2
    started = timezone.now()

    message = _queue_code(django_capture_on_commit_callbacks)

    assert (message.state, message.attempts, message.secret) == ("pending", 1, "246810")
    assert message.last_error == "ConnectionError: gateway refused: Your code is ******"
    first_wait = message.next_attempt_at - started
    assert timedelta(seconds=29) < first_wait < timedelta(seconds=32)

    assert messaging.deliver_due(now=started + timedelta(seconds=20)) == 0  # not due yet
    messaging.deliver_due(now=message.next_attempt_at)
    message.refresh_from_db()
    assert message.attempts == 2
    assert timedelta(seconds=59) < message.next_attempt_at - timezone.now() < timedelta(seconds=62)  # doubled

    messaging.deliver_due(now=message.next_attempt_at)
    message.refresh_from_db()
    assert (message.state, message.attempts, message.secret, message.last_error) == ("sent", 3, "", "")
    assert outbox.texts_to(PHONE) == ["Your code is 246810"]


def test_after_the_last_try_the_message_is_failed_and_its_code_wiped(flaky, django_capture_on_commit_callbacks):
    flaky.failures_left = 99
    message = _queue_code(django_capture_on_commit_callbacks)
    later = timezone.now()
    for _ in range(5):
        later += timedelta(hours=1)
        messaging.deliver_due(now=later)

    message.refresh_from_db()
    assert (message.state, message.attempts, message.secret) == ("failed", 3, "")
    assert message.failed_at is not None
    assert message.last_error == "ConnectionError: gateway refused: Your code is ******"
    assert outbox.SENT == []
    assert flaky.failures_left == 96  # three tries, then no more


def test_the_scheduler_sends_what_a_crash_left_between_commit_and_delivery(flaky):
    # The delivery after commit never ran (the process died): the row is all there is.
    message = queue_message(channel="sms", recipient=PHONE, body="Your code is {secret}", secret="135790")

    ran = periodic.run_due()

    assert "deliver_due_messages" in ran
    message.refresh_from_db()
    assert (message.state, message.secret, message.attempts) == ("sent", "", 1)
    assert outbox.texts_to(PHONE) == ["Your code is 135790"]


def test_a_message_held_by_one_sender_is_not_sent_by_another(flaky, django_capture_on_commit_callbacks):
    flaky.failures_left = 99
    message = _queue_code(django_capture_on_commit_callbacks)
    # A second sender arrives while the retry is not due: it leaves the message alone.
    messaging.deliver(message_id=message.pk)

    message.refresh_from_db()
    assert message.attempts == 1


@requires_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_senders_send_a_message_once(settings):
    settings.O2O_MESSAGE_BACKEND = f"{__name__}.SlowBackend"
    SlowBackend.sent.clear()
    message = queue_message(channel="sms", recipient=PHONE, body="Your code is {secret}", secret="112233")

    outcomes = run_together([lambda: messaging.deliver(message_id=message.pk)] * 8)

    assert [o.error for o in outcomes] == [None] * 8
    assert SlowBackend.sent == [PHONE]
    message.refresh_from_db()
    assert (message.state, message.attempts, message.secret) == ("sent", 1, "")


class SlowBackend:
    sent: list[str] = []
    lock = threading.Lock()

    def send(self, message: OutboxMessage) -> None:
        threading.Event().wait(0.05)  # long enough for every racer to try its claim
        with SlowBackend.lock:
            SlowBackend.sent.append(message.recipient)


def test_the_back_office_lists_failed_messages_without_their_codes(flaky, django_capture_on_commit_callbacks):
    flaky.failures_left = 1
    pending = _queue_code(django_capture_on_commit_callbacks, code="975310")  # failed once, waiting
    OutboxMessage.objects.create(
        channel="sms", recipient="+8613900139000", body="x", state="failed", failed_at=timezone.now(), last_error="boom"
    )
    admin = Client()
    admin.force_login(UserFactory(is_staff=True, is_superuser=True))

    failed_list = admin.get("/admin/core/outboxmessage/", {"state__exact": "failed"})
    detail = admin.get(f"/admin/core/outboxmessage/{pending.pk}/change/")

    assert failed_list.status_code == 200 and detail.status_code == 200
    assert "+8613900139000" in failed_list.content.decode()
    assert PHONE not in failed_list.content.decode()
    assert "975310" not in detail.content.decode()
    assert "Your code is {secret}" in detail.content.decode()


def test_the_database_refuses_a_code_on_a_message_that_is_no_longer_pending():
    message = queue_message(channel="sms", recipient=PHONE, body="Your code is {secret}", secret="864200")

    with pytest.raises(IntegrityError), transaction.atomic():
        OutboxMessage.objects.filter(pk=message.pk).update(state="sent", sent_at=timezone.now())

    message.refresh_from_db()
    assert (message.state, message.secret) == ("pending", "864200")


@pytest.mark.parametrize(("development", "logged"), [(True, "Your code is 246810"), (False, "Your code is ******")])
def test_the_console_backend_shows_a_code_only_in_development(settings, caplog, development, logged):
    settings.DEVELOPMENT = development
    settings.O2O_MESSAGE_BACKEND = "o2o.core.messaging.ConsoleBackend"

    with caplog.at_level("INFO", logger="o2o.messaging"):
        message = queue_message(channel="sms", recipient=PHONE, body="Your code is {secret}", secret="246810")
        messaging.deliver(message_id=message.pk)

    assert logged in caplog.text
    assert development or "246810" not in caplog.text
