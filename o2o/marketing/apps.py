from django.apps import AppConfig


class MarketingConfig(AppConfig):
    name = "o2o.marketing"
    label = "marketing"

    def ready(self) -> None:
        from o2o.core import periodic
        from o2o.marketing.tasks import refresh_tag_rules, send_due_broadcasts

        periodic.register("send_due_broadcasts", send_due_broadcasts, every_seconds=60)
        periodic.register("refresh_tag_rules", refresh_tag_rules, every_seconds=3600)
