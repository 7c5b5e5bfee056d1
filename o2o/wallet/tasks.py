from django_tasks import task

from o2o.wallet import services


@task()
def fail_stale_top_ups() -> int:
    return services.fail_stale_top_ups()
