"""A message's delivery task is queued with the message: only when the message's transaction
commits, in that transaction when the queue lives in the same database, after it otherwise; the
worker (`o2o worker`) sends what the database queue holds."""

import signal

import pytest
from django.core.management import call_command
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from o2o.core.messaging import queue_message
from o2o.core.models import OutboxMessage
from o2o.core.tasks import deliver_message
from o2o.testing import outbox

pytestmark = pytest.mark.django_db
PHONE = "+8613800138000"


class Rollback(Exception):
    pass


@pytest.fixture
def database_queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def queued_deliveries() -> list[dict]:
    return [task.args_kwargs["kwargs"] for task in DBTaskResult.objects.filter(task_path=deliver_message.module_path)]


def test_a_database_queue_gets_the_task_in_the_messages_transaction(database_queue):
    with transaction.atomic():
        message = queue_message(channel="sms", recipient=PHONE, body="取餐码 {secret}", secret="1234")
        assert queued_deliveries() == [{"message_id": message.pk}]  # before the commit, as one of its rows

    assert queued_deliveries() == [{"message_id": message.pk}]
    assert outbox.SENT == []  # the worker sends it, not the request


def test_a_rolled_back_message_leaves_no_task_in_a_database_queue(database_queue):
    with pytest.raises(Rollback), transaction.atomic():
        queue_message(channel="sms", recipient=PHONE, body="取餐码 {secret}", secret="1234")
        raise Rollback

    assert not OutboxMessage.objects.exists()
    assert queued_deliveries() == []


def test_the_immediate_queue_sends_after_the_commit_only(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        queue_message(channel="sms", recipient=PHONE, body="取餐码 {secret}", secret="1234")
        assert outbox.SENT == []  # not inside the transaction

    assert len(callbacks) == 1
    assert outbox.SENT == [(PHONE, "取餐码 1234")]
    assert queued_deliveries() == []


@pytest.fixture
def signal_handlers_kept():
    """The worker takes over SIGINT, SIGTERM and SIGQUIT to stop between tasks: give them back."""
    kept = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    yield
    for number, handler in kept.items():
        signal.signal(number, handler)


@pytest.mark.django_db(transaction=True)  # the worker closes and opens connections between tasks
def test_the_worker_sends_what_the_database_queue_holds(database_queue, signal_handlers_kept):
    with transaction.atomic():
        message = queue_message(channel="sms", recipient=PHONE, body="取餐码 {secret}", secret="1234")

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)  # as `o2o worker`

    assert outbox.SENT == [(PHONE, "取餐码 1234")]
    message.refresh_from_db()
    assert (message.state, message.secret) == (OutboxMessage.State.SENT, "")
    task = DBTaskResult.objects.get(task_path=deliver_message.module_path)
    assert task.status == "SUCCESSFUL"
