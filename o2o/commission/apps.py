from django.apps import AppConfig


class CommissionConfig(AppConfig):
    name = "o2o.commission"
    label = "commission"
