from django.apps import AppConfig


class AftercareConfig(AppConfig):
    name = "o2o.aftercare"
    label = "aftercare"

    def ready(self) -> None:
        from o2o.aftercare import handlers  # noqa: F401  (registers the event handlers)
        from o2o.aftercare.tasks import run_follow_ups
        from o2o.core import periodic

        periodic.register("aftercare_follow_ups", run_follow_ups, every_seconds=600)
