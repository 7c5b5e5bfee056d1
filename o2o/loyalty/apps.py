from django.apps import AppConfig


class LoyaltyConfig(AppConfig):
    name = "o2o.loyalty"
    label = "loyalty"

    def ready(self) -> None:
        from o2o.core import periodic
        from o2o.loyalty import handlers  # noqa: F401  (registers the event handlers)
        from o2o.loyalty.tasks import expire_points, recompute_levels

        # Lots expire at midnight (Dec 31 -> Jan 1): hourly is close enough, and a spend expires
        # the member's due lots itself before it takes any points.
        periodic.register("expire_points", expire_points, every_seconds=3600)
        periodic.register("recompute_levels", recompute_levels, every_seconds=24 * 3600)
