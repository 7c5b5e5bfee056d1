from django.apps import AppConfig


class WalletConfig(AppConfig):
    name = "o2o.wallet"
    label = "wallet"

    def ready(self) -> None:
        from o2o.core import periodic
        from o2o.wallet.tasks import fail_stale_top_ups

        periodic.register("fail_stale_top_ups", fail_stale_top_ups, every_seconds=3600)
