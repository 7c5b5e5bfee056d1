from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "o2o.incidents"
    label = "incidents"
