from django.apps import AppConfig


class PromotionsConfig(AppConfig):
    name = "o2o.promotions"
    label = "promotions"
