from django.apps import AppConfig


class PreparationConfig(AppConfig):
    name = "o2o.preparation"
    label = "preparation"

    def ready(self) -> None:
        from o2o.preparation import handlers  # noqa: F401  (registers the event handlers)
