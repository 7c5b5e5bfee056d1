from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "o2o.leads"
    label = "leads"
