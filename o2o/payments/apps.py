from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "o2o.payments"
    label = "payments"

    def ready(self) -> None:
        from o2o.core import periodic
        from o2o.payments import handlers  # noqa: F401  (registers the event handlers)
        from o2o.payments.tasks import send_due_refunds

        periodic.register("send_due_refunds", send_due_refunds, every_seconds=60)
