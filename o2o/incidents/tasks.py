from django_tasks import task

from o2o.incidents import sweeps


@task()
def sweep_late_incidents() -> dict[str, int]:
    return sweeps.sweep_late()
