from django.apps import AppConfig


class StaffingConfig(AppConfig):
    name = "o2o.staffing"
    label = "staffing"
