from django.apps import AppConfig


class CouponsConfig(AppConfig):
    name = "o2o.coupons"
    label = "coupons"
