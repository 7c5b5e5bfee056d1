from django.apps import AppConfig


class CashbookConfig(AppConfig):
    name = "o2o.cashbook"
    label = "cashbook"
