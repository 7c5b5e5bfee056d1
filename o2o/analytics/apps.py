from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "o2o.analytics"
    label = "analytics"

    def ready(self) -> None:
        from o2o.analytics import handlers  # noqa: F401  (registers the event handlers)
        from o2o.analytics.tasks import roll_up_sales
        from o2o.core import periodic

        # Often enough that yesterday is rolled up soon after midnight and a day a refund made stale
        # is read from the orders only briefly; a run with nothing to do costs two small queries.
        periodic.register("roll_up_sales", roll_up_sales, every_seconds=600)
