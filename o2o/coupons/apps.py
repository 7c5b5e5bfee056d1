from django.apps import AppConfig


class CouponsConfig(AppConfig):
    name = "o2o.coupons"
    label = "coupons"

    def ready(self) -> None:
        from o2o.coupons import handlers  # noqa: F401  (the order claimer and the event handlers)
        from o2o.coupons.rules import CouponRule
        from o2o.pricing.rules import register

        register(CouponRule())
