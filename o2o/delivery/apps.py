from django.apps import AppConfig


class DeliveryConfig(AppConfig):
    name = "o2o.delivery"
    label = "delivery"
