from django.apps import AppConfig


class PreparationConfig(AppConfig):
    name = "o2o.preparation"
    label = "preparation"
