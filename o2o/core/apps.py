from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "o2o.core"
    label = "core"

    def ready(self) -> None:
        from o2o.core import ratelimits  # noqa: F401 - registers the shared rate-limit store check
