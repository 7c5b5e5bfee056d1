from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "o2o.orders"
    label = "orders"

    def ready(self) -> None:
        from o2o.core import periodic
        from o2o.orders.tasks import complete_orders, expire_unpaid_orders

        periodic.register("expire_unpaid_orders", expire_unpaid_orders, every_seconds=60)
        periodic.register("complete_orders", complete_orders, every_seconds=3600)
