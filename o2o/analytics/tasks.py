from django_tasks import task

from o2o.analytics import services


@task()
def roll_up_sales() -> int:
    return len(services.roll_up_closed_days())
