from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "o2o.notifications"
    label = "notifications"

    def ready(self) -> None:
        from o2o.core import periodic
        from o2o.notifications import handlers  # noqa: F401  (registers the event handlers)
        from o2o.notifications.tasks import remind_pickups

        periodic.register("remind_pickups", remind_pickups, every_seconds=15 * 60)
