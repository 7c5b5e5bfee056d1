from django.apps import AppConfig


class RewardsConfig(AppConfig):
    name = "o2o.rewards"
    label = "rewards"

    def ready(self) -> None:
        from o2o.rewards import handlers  # noqa: F401  (subscribes to the order events)
