from django.apps import AppConfig


class ReplenishmentConfig(AppConfig):
    name = "o2o.replenishment"
    label = "replenishment"
