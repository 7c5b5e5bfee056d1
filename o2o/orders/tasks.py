from django_tasks import task

from o2o.orders import services


@task()
def expire_unpaid_orders() -> int:
    return services.expire_unpaid_orders()


@task()
def complete_orders() -> int:
    return services.complete_orders()
