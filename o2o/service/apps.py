from django.apps import AppConfig


class ServiceConfig(AppConfig):
    name = "o2o.service"
    label = "service"

    def ready(self) -> None:
        from o2o.core import periodic
        from o2o.service.sweeps import sweep_sla_task
        from o2o.service.tasks import assign_waiting_tickets, close_unconfirmed_tickets

        periodic.register("service_assign_waiting_tickets", assign_waiting_tickets, every_seconds=30)
        periodic.register("service_close_unconfirmed_tickets", close_unconfirmed_tickets, every_seconds=600)
        periodic.register("service_sla_sweep", sweep_sla_task, every_seconds=30)
