from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "o2o.privacy"
    label = "privacy"
