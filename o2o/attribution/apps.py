from django.apps import AppConfig


class AttributionConfig(AppConfig):
    name = "o2o.attribution"
    label = "attribution"
