from django_tasks import task

from o2o.core import messaging


@task()
def deliver_message(*, message_id: int) -> None:
    messaging.deliver(message_id=message_id)


@task()
def deliver_due_messages() -> None:
    """Periodic: retries failed sends when due and sends what a crash left behind."""
    messaging.deliver_due()
