from django_tasks import task

from o2o.groupbuy import chains, services


@task()
def close_groups() -> dict:
    return services.close_groups()


@task()
def close_due_chains() -> int:
    return chains.close_due_chains()
