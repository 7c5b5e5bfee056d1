from django_tasks import task

from o2o.replenishment import services


@task()
def propose_replenishment_nightly() -> int:
    """Daily: every store's proposals (docs/replenishment.md)."""
    return services.propose_for_all_stores()
