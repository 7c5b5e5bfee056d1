from django.apps import AppConfig


class PricingConfig(AppConfig):
    name = "o2o.pricing"
    label = "pricing"
