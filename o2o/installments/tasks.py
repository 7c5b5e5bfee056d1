from django_tasks import task

from o2o.installments import services


@task()
def installment_dues() -> dict[str, int]:
    """Hourly: apply refunds the plans missed, mark overdue dues and plans, queue reminders."""
    return services.run_daily()
