from django.apps import AppConfig


class StoresConfig(AppConfig):
    name = "o2o.stores"
    label = "stores"
