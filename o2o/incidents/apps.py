from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "o2o.incidents"
    label = "incidents"

    def ready(self) -> None:
        from o2o.core import periodic
        from o2o.incidents import handlers  # noqa: F401  (registers the event handlers)
        from o2o.incidents.tasks import sweep_late_incidents

        # Windows to act are 30 minutes and more: a late order shows up within a minute.
        periodic.register("sweep_late_incidents", sweep_late_incidents, every_seconds=60)
