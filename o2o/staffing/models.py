"""Staff support between stores (docs/staffing.md): a store short of hands asks for help, a nearby
store lends an employee, the borrowing store confirms the hours worked.

The request's seat counters (`taken`, `accepted`, `done`) change only by conditional UPDATEs; the
CHECKs keep them within the headcount even if a bug tried otherwise. That an employee is not lent
twice for overlapping windows is checked under the employee row's lock (a DB exclusion constraint
is not portable to SQLite)."""

from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from o2o.core.money import to_money
from o2o.staff.models import Role

MAX_HEADCOUNT = 20


class RequestState(models.TextChoices):
    OPEN = "open", _("looking for help")
    FILLED = "filled", _("fully staffed")
    CANCELLED = "cancelled", _("called off")
    CLOSED = "closed", _("hours confirmed")


class SupportRequest(models.Model):
    """A store asks for `headcount` employees of `role` for a time window."""

    requesting_location = models.ForeignKey(
        "stores.Location", on_delete=models.PROTECT, related_name="support_requests"
    )
    role = models.CharField(_("role"), max_length=24, choices=Role.choices)
    headcount = models.PositiveSmallIntegerField(_("headcount"))
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=RequestState.choices, default=RequestState.OPEN)
    # Seats: loans offered, accepted or done / accepted or done / done.
    taken = models.PositiveSmallIntegerField(_("seats taken"), default=0)
    accepted = models.PositiveSmallIntegerField(_("seats accepted"), default=0)
    done = models.PositiveSmallIntegerField(_("seats done"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("support request")
        verbose_name_plural = _("support requests")
        indexes = [models.Index(fields=["state", "ends_at"], name="supportrequest_state_ends")]
        constraints = [
            models.CheckConstraint(condition=Q(role__in=Role.values), name="supportrequest_role_valid"),
            models.CheckConstraint(condition=Q(state__in=RequestState.values), name="supportrequest_state_valid"),
            models.CheckConstraint(
                condition=Q(headcount__gte=1, headcount__lte=MAX_HEADCOUNT), name="supportrequest_headcount_1_to_20"
            ),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="supportrequest_ends_after_start"),
            models.CheckConstraint(
                condition=Q(taken__lte=F("headcount"), accepted__lte=F("taken"), done__lte=F("accepted")),
                name="supportrequest_seats_within_headcount",
            ),
            models.CheckConstraint(
                condition=~Q(state="filled") | Q(accepted=F("headcount")), name="supportrequest_filled_all_accepted"
            ),
            models.CheckConstraint(
                condition=~Q(state="closed") | Q(done=F("headcount")), name="supportrequest_closed_all_done"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.requesting_location} · {self.get_role_display()} × {self.headcount}"


class LoanState(models.TextChoices):
    OFFERED = "offered", _("offered")
    ACCEPTED = "accepted", _("accepted")
    DONE = "done", _("done")
    CANCELLED = "cancelled", _("cancelled")


# The states that hold a seat of the request and the employee's time.
LIVE_LOAN_STATES = (LoanState.OFFERED, LoanState.ACCEPTED)


def window_hours(starts_at: datetime, ends_at: datetime) -> Decimal:
    """A loan's window in hours, two places: what `Loan.window_hours` holds."""
    return to_money(Decimal((ends_at - starts_at).total_seconds()) / 3600)


class Loan(models.Model):
    """One employee lent by their home store to a request, for a window inside the request's."""

    request = models.ForeignKey(SupportRequest, on_delete=models.PROTECT, related_name="loans")
    employee = models.ForeignKey("staff.Employee", on_delete=models.PROTECT, related_name="loans")
    lending_location = models.ForeignKey("stores.Location", on_delete=models.PROTECT, related_name="staff_lent")
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    # The window's length in hours (two places, written with the window): the bound of hours_worked.
    window_hours = models.DecimalField(_("window (hours)"), max_digits=6, decimal_places=2)
    state = models.CharField(_("state"), max_length=10, choices=LoanState.choices, default=LoanState.OFFERED)
    hours_worked = models.DecimalField(_("hours worked"), max_digits=6, decimal_places=2, null=True, blank=True)
    offered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("loan")
        verbose_name_plural = _("loans")
        indexes = [
            models.Index(fields=["employee", "starts_at"], name="loan_employee_starts"),
            models.Index(fields=["lending_location", "starts_at"], name="loan_lender_starts"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(state__in=LoanState.values), name="loan_state_valid"),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="loan_ends_after_start"),
            models.CheckConstraint(condition=Q(window_hours__gt=0), name="loan_window_positive"),
            models.CheckConstraint(
                condition=Q(hours_worked__isnull=True) | Q(hours_worked__gte=0, hours_worked__lte=F("window_hours")),
                name="loan_hours_within_window",
            ),
            models.CheckConstraint(
                condition=Q(state="done", hours_worked__isnull=False)
                | (~Q(state="done") & Q(hours_worked__isnull=True)),
                name="loan_done_has_confirmed_hours",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.employee} → {self.request_id}"
