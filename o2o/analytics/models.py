"""Daily sales rollups: the dashboard reads closed days from here instead of scanning millions of orders.

A rollup is a cache of `selectors._sales_rows` for one local day, never the truth: a day counts as
rolled up only while its SalesDay row says `fresh`. Whatever changes a past day's sales (a refund, a
return, an uncollected pickup) marks the day not fresh in the same transaction (handlers.py), and the
dashboard then counts that day live from the orders until the rollup task rolls it up again.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from o2o.catalog.models import Channel
from o2o.orders.models import Fulfilment


class SalesDay(models.Model):
    """One local day (settings.TIME_ZONE) and whether its DailySales rows equal the orders now.

    The row exists before a day is first rolled up (created in its own transaction), so that a refund
    committing while the rollup runs always finds a row to mark stale (see services.roll_up_day)."""

    day = models.DateField(_("day"), primary_key=True)
    fresh = models.BooleanField(_("rolled up and unchanged since"), default=False)
    rolled_up_at = models.DateTimeField(_("rolled up at"), null=True, blank=True)
    marked_stale_at = models.DateTimeField(_("marked stale at"), null=True, blank=True)

    class Meta:
        verbose_name = _("sales day")
        verbose_name_plural = _("sales days")
        constraints = [
            models.CheckConstraint(
                condition=Q(fresh=False) | Q(rolled_up_at__isnull=False), name="salesday_fresh_rolled"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} ({'fresh' if self.fresh else 'stale'})"


class DailySales(models.Model):
    """Net sales and order count of one (local day, selling store, channel, fulfilment), as the
    dashboard counts them: orders paid that day, not pending or cancelled, total less refunds so far."""

    day = models.ForeignKey(SalesDay, on_delete=models.CASCADE, related_name="rows", db_column="day")
    selling_location = models.ForeignKey("stores.Location", on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    fulfilment = models.CharField(_("fulfilment"), max_length=10, choices=Fulfilment.choices)
    orders = models.PositiveIntegerField(_("orders"))
    sales = models.DecimalField(_("sales"), max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("daily sales")
        verbose_name_plural = _("daily sales")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "selling_location", "channel", "fulfilment"], name="dailysales_one_row_per_key"
            ),
            # Only keys with orders get a row; refunds never exceed the total, so sales are never negative.
            models.CheckConstraint(condition=Q(orders__gt=0, sales__gte=0), name="dailysales_counts_positive"),
            models.CheckConstraint(condition=Q(channel__in=Channel.values), name="dailysales_channel_valid"),
            models.CheckConstraint(condition=Q(fulfilment__in=Fulfilment.values), name="dailysales_fulfilment_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.day_id} {self.selling_location_id} {self.channel}/{self.fulfilment}"
