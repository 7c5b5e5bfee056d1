from django.apps import AppConfig


class FlashsaleConfig(AppConfig):
    name = "o2o.flashsale"
    label = "flashsale"
