from django.apps import AppConfig


class LoyaltyConfig(AppConfig):
    name = "o2o.loyalty"
    label = "loyalty"
