"""Background work of customer service (periodic, registered in ServiceConfig.ready)."""

from django_tasks import task

from o2o.service import assignment, services


@task()
def assign_waiting_tickets() -> int:
    """New tickets to agents who became available (every 30 s)."""
    return assignment.assign_waiting_tickets()


@task()
def close_unconfirmed_tickets() -> int:
    """Resolved tickets the customer did not confirm within O2O_SERVICE_CONFIRM_DAYS close."""
    return services.close_unconfirmed()
