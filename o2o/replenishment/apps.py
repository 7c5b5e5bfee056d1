from django.apps import AppConfig


class ReplenishmentConfig(AppConfig):
    name = "o2o.replenishment"
    label = "replenishment"

    def ready(self) -> None:
        from o2o.core import periodic
        from o2o.replenishment.tasks import propose_replenishment_nightly

        periodic.register("propose_replenishment", propose_replenishment_nightly, every_seconds=24 * 3600)
