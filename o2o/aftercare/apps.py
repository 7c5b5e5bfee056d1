from django.apps import AppConfig


class AftercareConfig(AppConfig):
    name = "o2o.aftercare"
    label = "aftercare"
