from django_tasks import task

from o2o.core import messaging


@task()
def deliver_message(*, message_id: int) -> None:
    messaging.deliver(message_id=message_id)
