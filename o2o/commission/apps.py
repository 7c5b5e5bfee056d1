from django.apps import AppConfig


class CommissionConfig(AppConfig):
    name = "o2o.commission"
    label = "commission"

    def ready(self) -> None:
        from o2o.commission import handlers  # noqa: F401  (subscribes to the events)
