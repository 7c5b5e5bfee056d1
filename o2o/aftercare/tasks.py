from django_tasks import task

from o2o.aftercare import services


@task()
def run_follow_ups() -> dict:
    """Every ten minutes: visits for orders whose delay passed, survey links for message visits
    that fell due (expired ones become calls), cancelled visits of deleted accounts, and the
    complaint of any low score whose opening was lost."""
    return {
        "scheduled": services.schedule_order_visits(),
        "links_sent": services.send_due_survey_links(),
        "cancelled": services.cancel_visits_of_anonymised_members(),
        "complaints_opened": services.open_missing_complaints(),
    }
