from django.apps import AppConfig


class ServiceConfig(AppConfig):
    name = "o2o.service"
    label = "service"
