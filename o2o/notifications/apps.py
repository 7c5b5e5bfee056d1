from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "o2o.notifications"
    label = "notifications"
