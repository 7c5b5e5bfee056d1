from django.apps import AppConfig


class WalletConfig(AppConfig):
    name = "o2o.wallet"
    label = "wallet"
