from django.apps import AppConfig


class GroupbuyConfig(AppConfig):
    name = "o2o.groupbuy"
    label = "groupbuy"

    def ready(self) -> None:
        from o2o.core import periodic
        from o2o.groupbuy import handlers  # noqa: F401  (registers the event handlers)
        from o2o.groupbuy.rules import ChainPrice, GroupPrice
        from o2o.groupbuy.tasks import close_due_chains, close_groups
        from o2o.pricing.rules import register

        register(GroupPrice())
        register(ChainPrice())
        periodic.register("groupbuy_close_groups", close_groups, every_seconds=60)
        periodic.register("groupbuy_close_due_chains", close_due_chains, every_seconds=60)
