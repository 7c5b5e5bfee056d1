from django_tasks import task

from o2o.notifications import services


@task()
def remind_pickups() -> int:
    return services.remind_pickups()
