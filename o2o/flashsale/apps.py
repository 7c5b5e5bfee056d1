from django.apps import AppConfig


class FlashsaleConfig(AppConfig):
    name = "o2o.flashsale"
    label = "flashsale"

    def ready(self) -> None:
        from o2o.flashsale import offers

        offers.connect()
