from django.apps import AppConfig


class InstallmentsConfig(AppConfig):
    name = "o2o.installments"
    label = "installments"

    def ready(self) -> None:
        from o2o.core import periodic
        from o2o.installments import handlers  # noqa: F401  (registers the event handlers)
        from o2o.installments.tasks import installment_dues

        periodic.register("installment_dues", installment_dues, every_seconds=3600)
