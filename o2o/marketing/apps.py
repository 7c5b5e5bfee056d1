from django.apps import AppConfig


class MarketingConfig(AppConfig):
    name = "o2o.marketing"
    label = "marketing"
