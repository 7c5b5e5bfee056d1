"""Stocktakes (docs/stocktakes.md): a count session per location, the book frozen at its start,
counted by scanning, approved by the manager and posted to the stock ledger as "count" moves."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class CountState(models.TextChoices):
    COUNTING = "counting", _("counting")
    SUBMITTED = "submitted", _("waiting for approval")
    POSTED = "posted", _("posted")
    CANCELLED = "cancelled", _("cancelled")


OPEN_STATES = (CountState.COUNTING, CountState.SUBMITTED)


class StockCount(models.Model):
    """One count session at one location: everything there, one category (and its children), or
    one aisle."""

    location = models.ForeignKey("stores.Location", on_delete=models.PROTECT, related_name="stock_counts")
    category = models.ForeignKey(
        "catalog.Category", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text=_("Empty: a full count of the location."),
    )  # fmt: skip
    # a count of one aisle: the stock levels shelved there when the count started
    aisle = models.CharField(_("aisle"), max_length=10, blank=True, default="")
    state = models.CharField(_("state"), max_length=10, choices=CountState.choices, default=CountState.COUNTING)
    note = models.CharField(_("note"), max_length=200, blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("approved or cancelled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("stock count")
        verbose_name_plural = _("stock counts")
        constraints = [
            models.CheckConstraint(condition=Q(state__in=CountState.values), name="stockcount_state_valid"),
            # two open counts at one place would each freeze the book and post the same variance twice
            models.UniqueConstraint(
                fields=["location"], condition=Q(state__in=OPEN_STATES), name="stockcount_one_open_per_location"
            ),
            # one scope: a count by category and by aisle at once would leave its lines ambiguous
            models.CheckConstraint(condition=Q(aisle="") | Q(category__isnull=True), name="stockcount_one_scope"),
            models.CheckConstraint(
                condition=Q(state__in=OPEN_STATES) | Q(decided_at__isnull=False, decided_by__isnull=False),
                name="stockcount_decided_has_who_and_when",
            ),
        ]
        indexes = [models.Index(fields=["location", "-started_at"], name="stockcount_location_recent")]

    def __str__(self) -> str:
        return f"count {self.pk} at {self.location_id}: {self.state}"


class StockCountLine(models.Model):
    """One SKU of a count: the book quantity when the count started, and what was counted."""

    count = models.ForeignKey(StockCount, on_delete=models.CASCADE, related_name="lines")
    sku = models.ForeignKey("catalog.SKU", on_delete=models.PROTECT, related_name="+")
    book_quantity = models.IntegerField(_("book quantity at the start"))
    counted_quantity = models.IntegerField(_("counted"), null=True, blank=True)
    counted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    counted_at = models.DateTimeField(_("counted at"), null=True, blank=True)
    posted_quantity = models.IntegerField(_("change posted to the book"), null=True, blank=True)

    class Meta:
        verbose_name = _("stock count line")
        verbose_name_plural = _("stock count lines")
        constraints = [
            models.UniqueConstraint(fields=["count", "sku"], name="stockcountline_one_per_sku"),
            models.CheckConstraint(condition=Q(book_quantity__gte=0), name="stockcountline_book_not_negative"),
            models.CheckConstraint(
                condition=Q(counted_quantity__isnull=True) | Q(counted_quantity__gte=0),
                name="stockcountline_counted_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(counted_quantity__isnull=True) | Q(counted_at__isnull=False, counted_by__isnull=False),
                name="stockcountline_counted_has_who_and_when",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sku_id}: {self.book_quantity} -> {self.counted_quantity}"

    @property
    def variance(self) -> int | None:
        return None if self.counted_quantity is None else self.counted_quantity - self.book_quantity
