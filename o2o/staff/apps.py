from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "o2o.staff"
    label = "staff"
