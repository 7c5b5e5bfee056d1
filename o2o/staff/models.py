from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """The roles of DESIGN §1; each is also a permission group of the same name."""

    HQ = "hq", _("HQ / owner")
    REGIONAL_SUPERVISOR = "regional_supervisor", _("regional supervisor")
    STORE_MANAGER = "store_manager", _("store manager")
    CLERK = "clerk", _("sales associate")
    ONLINE_OPERATOR = "online_operator", _("online operator")
    MARKETER = "marketer", _("marketer")
    CS_AGENT = "cs_agent", _("customer-service agent")
    TECHNICIAN = "technician", _("technician")
    WAREHOUSE_CLERK = "warehouse_clerk", _("warehouse clerk")
    DRIVER = "driver", _("delivery driver")  # drives delivery runs from their home location (the depot)


# Roles whose work is chain-wide: they see every location.
CHAIN_WIDE_ROLES = {Role.HQ, Role.ONLINE_OPERATOR, Role.MARKETER, Role.CS_AGENT}
# Roles that hand over goods and redeem pickup vouchers at their location.
COUNTER_ROLES = {Role.STORE_MANAGER, Role.CLERK}


class Team(models.Model):
    """A group of employees the owner's view reports by: a store's team, the online team, HQ."""

    class Kind(models.TextChoices):
        STORE = "store", _("store team")
        ONLINE = "online", _("online operations")
        HQ = "hq", _("head office")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.STORE)
    location = models.ForeignKey(
        "stores.Location", null=True, blank=True, on_delete=models.PROTECT, related_name="teams"
    )
    lead = models.ForeignKey(
        "staff.Employee", null=True, blank=True, on_delete=models.SET_NULL, related_name="teams_led"
    )

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["store", "online", "hq"]), name="team_kind_valid"),
            models.CheckConstraint(
                condition=~Q(kind="store") | Q(location__isnull=False), name="team_store_team_has_location"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Employee(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="employee")
    role = models.CharField(_("role"), max_length=24, choices=Role.choices)
    home_location = models.ForeignKey(
        "stores.Location", null=True, blank=True, on_delete=models.PROTECT, related_name="employees"
    )
    region = models.ForeignKey(
        "stores.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="supervisors"
    )
    code = models.CharField(_("share code"), max_length=16, unique=True)
    display_name = models.CharField(_("name"), max_length=100)
    is_active = models.BooleanField(_("active"), default=True)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="employees")

    class Meta:
        verbose_name = _("employee")
        verbose_name_plural = _("employees")
        constraints = [
            models.CheckConstraint(condition=Q(role__in=Role.values), name="employee_role_valid"),
            models.CheckConstraint(
                condition=~Q(role__in=["store_manager", "clerk", "technician", "warehouse_clerk", "driver"])
                | Q(home_location__isnull=False),
                name="employee_location_staff_have_location",
            ),
            models.CheckConstraint(
                condition=~Q(role="regional_supervisor") | Q(region__isnull=False),
                name="employee_supervisor_has_region",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.get_role_display()})"
