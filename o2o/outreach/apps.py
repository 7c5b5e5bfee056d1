from django.apps import AppConfig


class OutreachConfig(AppConfig):
    name = "o2o.outreach"
    label = "outreach"
