from django_tasks import task

from o2o.marketing import services, tag_rules


@task()
def send_due_broadcasts() -> int:
    """Every minute: send the scheduled broadcasts that are due."""
    return services.send_due_broadcasts()


@task()
def refresh_tag_rules() -> int:
    """Every hour: the tags kept by tag rules follow their segments (o2o.marketing.tag_rules)."""
    return len(tag_rules.refresh_tag_rules())
