"""Each employee's virtual store: their business card and the visits their share link brings."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class EmployeeCard(models.Model):
    """The business card on an employee's share-link page, edited by the employee.

    The contact phone and WeChat id are shown to signed-in members only (docs/outreach.md): an
    anonymous page or the public API would let anyone harvest every employee's number."""

    employee = models.OneToOneField(
        "staff.Employee", on_delete=models.CASCADE, primary_key=True, related_name="card", verbose_name=_("employee")
    )
    title = models.CharField(_("title"), max_length=60, blank=True)
    greeting = models.CharField(_("greeting"), max_length=200, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    wechat_id = models.CharField(_("WeChat id"), max_length=40, blank=True)
    photo_url = models.URLField(_("photo URL"), max_length=300, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("business card")
        verbose_name_plural = _("business cards")
        constraints = [
            models.CheckConstraint(
                condition=Q(contact_phone="") | Q(contact_phone__regex=r"^\+[1-9][0-9]{6,14}$"),
                name="employeecard_phone_e164",
            ),
            models.CheckConstraint(
                condition=Q(photo_url="") | Q(photo_url__startswith="https://") | Q(photo_url__startswith="http://"),
                name="employeecard_photo_http",
            ),
        ]

    def __str__(self) -> str:
        return f"card of employee {self.employee_id}"


class ShareVisit(models.Model):
    """A visitor opened an employee's share link (or a page under it).

    At most one row per visitor, employee and clock hour: the unique constraint decides, so
    reloading, or two tabs at once, never counts twice. The visitor is a random cookie id, kept
    only as its keyed hash."""

    employee = models.ForeignKey("staff.Employee", on_delete=models.PROTECT, related_name="share_visits")
    visitor = models.CharField(_("visitor (hashed cookie id)"), max_length=64)
    hour = models.DateTimeField(_("hour"))
    at = models.DateTimeField(_("at"))
    member = models.ForeignKey(
        "members.Member", null=True, blank=True, on_delete=models.SET_NULL, related_name="share_visits"
    )
    sku = models.ForeignKey("catalog.SKU", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    path = models.CharField(_("path"), max_length=200)

    class Meta:
        verbose_name = _("share-link visit")
        verbose_name_plural = _("share-link visits")
        constraints = [
            models.UniqueConstraint(fields=["employee", "visitor", "hour"], name="sharevisit_once_per_hour"),
            models.CheckConstraint(condition=Q(at__gte=models.F("hour")), name="sharevisit_at_in_hour"),
        ]
        indexes = [models.Index(fields=["employee", "at"], name="sharevisit_employee_at")]

    def __str__(self) -> str:
        return f"visit to {self.employee_id} at {self.at:%Y-%m-%d %H:%M}"
