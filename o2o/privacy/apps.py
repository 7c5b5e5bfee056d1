from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "o2o.privacy"
    label = "privacy"

    def ready(self) -> None:
        from o2o.privacy import handlers, sections  # noqa: F401  (registers the handlers and the sections)
