from django_tasks import task

from o2o.loyalty import levels, services


@task()
def expire_points() -> int:
    return services.expire_points()


@task()
def recompute_levels() -> int:
    return levels.recompute_levels()
