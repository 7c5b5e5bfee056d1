from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Round
from django.utils.translation import gettext_lazy as _

from o2o.core.money import money_field_kwargs


class DailyClose(models.Model):
    """A store's business day (日结), closed once: the cash counted in the drawer against the cash
    expected from the day's takings, and a snapshot of those takings by method.

    The takings it covers run from `takings_from` (the previous day's close, or midnight) to
    `takings_to` (the moment of the close, or the day's end when it is closed later). Money taken
    after a close counts to the next business day, so a closed day never changes."""

    location = models.ForeignKey("stores.Location", on_delete=models.PROTECT, related_name="daily_closes")
    business_date = models.DateField(_("business date"))
    takings_from = models.DateTimeField(_("takings from"))
    takings_to = models.DateTimeField(_("takings to"))
    opening_float = models.DecimalField(_("opening float"), **money_field_kwargs())
    expected_cash = models.DecimalField(_("expected cash"), **money_field_kwargs())
    counted_cash = models.DecimalField(_("counted cash"), **money_field_kwargs())
    variance = models.DecimalField(_("variance"), **money_field_kwargs())
    variance_flagged = models.BooleanField(_("large variance"), default=False)
    takings = models.JSONField(_("takings by method"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(_("closed at"))

    class Meta:
        verbose_name = _("daily close")
        verbose_name_plural = _("daily closes")
        constraints = [
            # A day closes once, however many managers press the button at the same moment.
            models.UniqueConstraint(fields=["location", "business_date"], name="dailyclose_once_per_day"),
            models.CheckConstraint(
                # ROUND: SQLite keeps decimals as floats; PostgreSQL's numeric is exact either way.
                condition=Q(variance=Round(F("counted_cash") - F("expected_cash"), 2)),
                name="dailyclose_variance_is_difference",
            ),
            models.CheckConstraint(condition=Q(counted_cash__gte=0), name="dailyclose_counted_not_negative"),
            models.CheckConstraint(condition=Q(opening_float__gte=0), name="dailyclose_float_not_negative"),
            models.CheckConstraint(condition=Q(takings_from__lte=F("takings_to")), name="dailyclose_window_ordered"),
        ]
        indexes = [models.Index(fields=["business_date", "location"], name="dailyclose_date_location")]

    def __str__(self) -> str:
        return f"{self.location_id} {self.business_date}"
