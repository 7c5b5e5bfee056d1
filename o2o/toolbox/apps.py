from django.apps import AppConfig


class ToolboxConfig(AppConfig):
    name = "o2o.toolbox"
    label = "toolbox"
