from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "o2o.core"
    label = "core"

    def ready(self) -> None:
        import o2o.core.checks  # noqa: F401 - registers the production-defaults checks
        from o2o.core import ratelimits  # registers the shared rate-limit store check
        from o2o.core.periodic import register
        from o2o.core.tasks import deliver_due_messages

        register("deliver_due_messages", deliver_due_messages, every_seconds=30)
        ratelimits.log_per_process_store_warning()  # gunicorn runs no system checks: say it at start
