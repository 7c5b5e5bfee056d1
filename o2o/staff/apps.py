from django.apps import AppConfig
from django.db.models.signals import post_migrate


class StaffConfig(AppConfig):
    name = "o2o.staff"
    label = "staff"

    def ready(self) -> None:
        # The role groups' admin rights follow the table in admin_rights after every migrate, so
        # models that later migrations add are covered too (not only those of the data migration).
        post_migrate.connect(_grant_admin_rights, sender=self, dispatch_uid="o2o.staff.grant_admin_rights")


def _grant_admin_rights(sender, *, using, apps=None, **kwargs) -> None:
    from django.apps import apps as global_apps

    from o2o.staff.admin_rights import grant_admin_rights

    grant_admin_rights(apps or global_apps, using=using)  # flush (transactional tests) sends no apps
