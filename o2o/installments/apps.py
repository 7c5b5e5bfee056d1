from django.apps import AppConfig


class InstallmentsConfig(AppConfig):
    name = "o2o.installments"
    label = "installments"
