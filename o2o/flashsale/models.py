"""Flash sales (限时抢购): a limited quantity of one SKU at a price, from a set second, per-member limit.

The units are cut into rows when the sale is created (`FlashSaleUnit`, one per unit). A buyer
takes free rows with `SELECT ... FOR UPDATE SKIP LOCKED`, so nobody waits on a row another buyer
holds and there is no hot counter row; when no row is free the answer is "sold out" at once. The
sale's `sold_out_at` flag lets later buyers be answered with one read of the sale, before any
transaction. How many a member bought is one `FlashSaleBuyer` row per (sale, member), raised by a
conditional UPDATE and capped by a CHECK.

Orders sit above this app (it is below them in the layers), so a unit keeps its order's id as a
plain column, not a foreign key.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from o2o.core.money import money_field_kwargs

MAX_UNITS = 10_000  # units are rows: a sale of more is a different kind of campaign
MAX_PER_MEMBER = 99


class FlashSale(models.Model):
    campaign = models.ForeignKey(
        "pricing.Campaign",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("campaign"),
    )
    sku = models.ForeignKey("catalog.SKU", on_delete=models.PROTECT, related_name="+", verbose_name=_("SKU"))
    location = models.ForeignKey(
        "stores.Location",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("fulfilment location"),
        help_text=_("The store or warehouse the units are held at; flash orders are fulfilled from it."),
    )
    price = models.DecimalField(_("flash price"), **money_field_kwargs())
    quantity = models.PositiveIntegerField(_("quantity"))
    per_member_limit = models.PositiveSmallIntegerField(_("limit per member"), default=1)
    starts_at = models.DateTimeField(_("opens at"))
    ends_at = models.DateTimeField(_("closes at"))
    sold_out_at = models.DateTimeField(_("sold out at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("flash sale")
        verbose_name_plural = _("flash sales")
        constraints = [
            models.CheckConstraint(condition=Q(price__gt=0), name="flashsale_price_positive"),
            models.CheckConstraint(
                condition=Q(quantity__gte=1, quantity__lte=MAX_UNITS), name="flashsale_quantity_in_range"
            ),
            models.CheckConstraint(
                condition=Q(per_member_limit__gte=1, per_member_limit__lte=MAX_PER_MEMBER),
                name="flashsale_limit_in_range",
            ),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="flashsale_ends_after_start"),
        ]
        indexes = [models.Index(fields=["ends_at", "starts_at"], name="flashsale_window")]

    def __str__(self) -> str:
        return f"{self.sku_id} @ {self.price} x {self.quantity}"

    def is_open(self, now=None) -> bool:
        now = now or timezone.now()
        return self.starts_at <= now < self.ends_at


class FlashSaleUnit(models.Model):
    """One unit of a sale: free (no order) or taken by the order that bought it."""

    sale = models.ForeignKey(FlashSale, on_delete=models.CASCADE, related_name="units")
    number = models.PositiveIntegerField()
    order_id = models.BigIntegerField(null=True, blank=True)  # orders.Order (an app above this one)
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    taken_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)  # the order was paid: the unit is sold for good

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["sale", "number"], name="flashsaleunit_number_unique"),
            models.CheckConstraint(
                condition=Q(order_id__isnull=True, member__isnull=True, taken_at__isnull=True, paid_at__isnull=True)
                | Q(order_id__isnull=False, taken_at__isnull=False),
                name="flashsaleunit_free_or_taken",
            ),
        ]
        indexes = [
            # What a buyer scans: the free units of one sale, in order.
            models.Index(fields=["sale", "id"], condition=Q(order_id__isnull=True), name="flashsaleunit_free"),
            models.Index(fields=["order_id"], condition=Q(order_id__isnull=False), name="flashsaleunit_order"),
        ]

    def __str__(self) -> str:
        return f"{self.sale_id}#{self.number}"


class FlashSaleBuyer(models.Model):
    """How many units of a sale a member holds (taken by orders not cancelled)."""

    sale = models.ForeignKey(FlashSale, on_delete=models.CASCADE, related_name="buyers")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+")
    bought = models.PositiveSmallIntegerField(default=0)
    limit = models.PositiveSmallIntegerField()  # the sale's per-member limit, so a CHECK can hold it

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["sale", "member"], name="flashsalebuyer_once"),
            models.CheckConstraint(condition=Q(bought__lte=F("limit")), name="flashsalebuyer_within_limit"),
        ]

    def __str__(self) -> str:
        return f"{self.sale_id}: {self.member_id} x {self.bought}"
