from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "o2o.access"
    label = "access"
