from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PromotionsConfig(AppConfig):
    name = "o2o.promotions"
    label = "promotions"

    def ready(self) -> None:
        from o2o.pricing.rules import register
        from o2o.promotions import handlers  # noqa: F401  (the order claimer and the event handler)
        from o2o.promotions.rules import AutomaticPromotions

        register(AutomaticPromotions())
        post_migrate.connect(_warm_cache, sender=self)


def _warm_cache(**kwargs) -> None:
    """After migrations (a new process's test database too), read the promotions once, so the
    first cart this process prices costs no query."""
    from django.db import DEFAULT_DB_ALIAS

    from o2o.promotions import cache

    if kwargs.get("using", DEFAULT_DB_ALIAS) == DEFAULT_DB_ALIAS:
        cache.refresh()
