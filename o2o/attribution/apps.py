from django.apps import AppConfig


class AttributionConfig(AppConfig):
    name = "o2o.attribution"
    label = "attribution"

    def ready(self) -> None:
        from o2o.attribution import handlers  # noqa: F401  (registers the event handlers)
