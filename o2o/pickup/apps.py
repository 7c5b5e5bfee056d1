from django.apps import AppConfig


class PickupConfig(AppConfig):
    name = "o2o.pickup"
    label = "pickup"

    def ready(self) -> None:
        from o2o.core import periodic
        from o2o.pickup import handlers  # noqa: F401  (registers the event handlers)
        from o2o.pickup.tasks import expire_vouchers

        periodic.register("expire_pickup_vouchers", expire_vouchers, every_seconds=600)
