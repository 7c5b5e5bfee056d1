from django_tasks import task

from o2o.pickup import services


@task()
def expire_vouchers() -> int:
    return services.expire_vouchers()
