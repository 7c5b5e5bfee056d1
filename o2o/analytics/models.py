"""Daily sales rollups: the dashboard reads closed days from here instead of scanning millions of orders.

A rollup is a cache of `selectors._sales_rows` for one local day, never the truth: a day counts as
rolled up only while its SalesDay row says `fresh`. Whatever changes a past day's sales (a refund, a
return, an uncollected pickup) marks the day not fresh in the same transaction (handlers.py), and the
dashboard then counts that day live from the orders until the rollup task rolls it up again.
"""

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Round
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


# The columns of a DailySales row: orders and sales by channel and by fulfilment type. Adding a channel or
# a fulfilment type adds two columns here (a migration); the check constraints keep every row whole.
CHANNEL_KEYS = (Channel.APP, Channel.H5, Channel.SHARE_LINK, Channel.POS)
FULFILMENT_KEYS = (Fulfilment.PICKUP, Fulfilment.DELIVERY, Fulfilment.IN_STORE)


def orders_column(key: str) -> str:
    return f"orders_{key}"


def sales_column(key: str) -> str:
    return f"sales_{key}"


# Every figure of a DailySales row: the totals, then orders and sales of each channel and fulfilment type.
FIGURES = ("orders", "sales", *(f(k) for k in (*CHANNEL_KEYS, *FULFILMENT_KEYS) for f in (orders_column, sales_column)))


def _money(verbose_name: str) -> models.DecimalField:
    return models.DecimalField(verbose_name, max_digits=14, decimal_places=2, default=0)


def _adds_up(keys: tuple[str, ...]) -> Q:
    """The row's orders and sales are the sums of these columns. ROUND: SQLite adds decimals as floats."""
    return Q(
        orders=sum((F(orders_column(k)) for k in keys[1:]), F(orders_column(keys[0]))),
        sales=Round(sum((F(sales_column(k)) for k in keys[1:]), F(sales_column(keys[0]))), 2),
    )


class DailySales(models.Model):
    """Net sales and order count of one (local day, selling store), in all and by channel and by
    fulfilment type, as the dashboard counts them: orders paid that day, not pending or cancelled,
    total less refunds so far.

    One row per store and day (not per channel and fulfilment): the dashboard shows channels and
    fulfilment types only each on its own, and a row per store-day keeps a 30-day sum at 30 rows a store."""

    day = models.ForeignKey(SalesDay, on_delete=models.CASCADE, related_name="rows", db_column="day")
    selling_location = models.ForeignKey("stores.Location", on_delete=models.PROTECT, related_name="+")
    orders = models.PositiveIntegerField(_("orders"))
    sales = _money(_("sales"))
    orders_app = models.PositiveIntegerField(default=0)
    sales_app = _money("app")
    orders_h5 = models.PositiveIntegerField(default=0)
    sales_h5 = _money("H5")
    orders_share_link = models.PositiveIntegerField(default=0)
    sales_share_link = _money("share link")
    orders_pos = models.PositiveIntegerField(default=0)
    sales_pos = _money("POS")
    orders_pickup = models.PositiveIntegerField(default=0)
    sales_pickup = _money("pickup")
    orders_delivery = models.PositiveIntegerField(default=0)
    sales_delivery = _money("delivery")
    orders_in_store = models.PositiveIntegerField(default=0)
    sales_in_store = _money("in store")

    class Meta:
        verbose_name = _("daily sales")
        verbose_name_plural = _("daily sales")
        constraints = [
            models.UniqueConstraint(fields=["day", "selling_location"], name="dailysales_one_row_per_store_day"),
            # Only stores with orders get a row; refunds never exceed the total, so sales are never negative.
            models.CheckConstraint(condition=Q(orders__gt=0, sales__gte=0), name="dailysales_counts_positive"),
            models.CheckConstraint(condition=_adds_up(CHANNEL_KEYS), name="dailysales_channels_add_up"),
            models.CheckConstraint(condition=_adds_up(FULFILMENT_KEYS), name="dailysales_fulfilments_add_up"),
        ]

    def __str__(self) -> str:
        return f"{self.day_id} {self.selling_location_id}"
