from django.apps import AppConfig


class PickupConfig(AppConfig):
    name = "o2o.pickup"
    label = "pickup"

    def ready(self) -> None:
        from o2o.pickup import handlers  # noqa: F401  (registers the event handlers)
