from django_tasks import task

from o2o.payments import refunds


@task()
def send_refund(*, refund_id: int) -> str:
    return refunds.send_refund(refund_id=refund_id)


@task()
def send_due_refunds() -> int:
    return refunds.send_due_refunds()
