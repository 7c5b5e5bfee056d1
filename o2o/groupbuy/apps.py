from django.apps import AppConfig


class GroupbuyConfig(AppConfig):
    name = "o2o.groupbuy"
    label = "groupbuy"
