from django_tasks import task

from o2o.marketing import services


@task()
def send_due_broadcasts() -> int:
    """Every minute: send the scheduled broadcasts that are due."""
    return services.send_due_broadcasts()
