"""Automatic promotions: offers that apply whenever a cart qualifies, with no choice by the customer.

Each kind keeps its terms in its own columns (a CHECK per kind says which must be set), plus two
small child tables: the tiers of a spend-X-save-Y promotion and the items of a bundle. The rule that
prices carts with them (`o2o.promotions.rules`) reads a cached snapshot of the active ones; every
write bumps `PromotionsVersion` in the same transaction (see `o2o.promotions.cache`).
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from o2o.core.money import money_field_kwargs
from o2o.pricing.models import ChannelScope

PRIORITY_MIN = 101  # after the member level (100)
PRIORITY_MAX = 299  # before coupons (300)
DEFAULT_PRIORITY = 200


class PromotionKind(models.TextChoices):
    SPEND_TIERS = "spend_tiers", _("spend X save Y")
    BUY_N_GET_M = "buy_n_get_m", _("buy N get M free")
    BUNDLE_PRICE = "bundle_price", _("bundle price")
    CATEGORY_PERCENT = "category_percent", _("percent off categories")
    TIMED_PRICE = "timed_price", _("timed price")


class Promotion(models.Model):
    campaign = models.ForeignKey(
        "pricing.Campaign", on_delete=models.PROTECT, null=True, blank=True, related_name="promotions"
    )
    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=20, choices=PromotionKind.choices)
    channel_scope = models.CharField(_("channels"), max_length=10, choices=ChannelScope.choices, default="both")
    stores = models.ManyToManyField("stores.Location", blank=True, related_name="+", verbose_name=_("stores"))
    skus = models.ManyToManyField("catalog.SKU", blank=True, related_name="+", verbose_name=_("SKUs"))
    categories = models.ManyToManyField("catalog.Category", blank=True, related_name="+", verbose_name=_("categories"))
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    priority = models.PositiveSmallIntegerField(_("priority"), default=DEFAULT_PRIORITY)
    stacks = models.BooleanField(_("combines with other discounts"), default=True)
    is_active = models.BooleanField(_("active"), default=False)
    # The terms of each kind (which are set is checked per kind below).
    percent = models.DecimalField(_("percent taken off"), max_digits=5, decimal_places=2, null=True, blank=True)
    price = models.DecimalField(_("price"), **money_field_kwargs(), null=True, blank=True)
    buy_quantity = models.PositiveIntegerField(_("buy N"), null=True, blank=True)
    free_quantity = models.PositiveIntegerField(_("get M free"), null=True, blank=True)
    per_member_limit = models.PositiveIntegerField(_("units per member"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("promotion")
        verbose_name_plural = _("promotions")
        constraints = [
            models.CheckConstraint(
                condition=Q(priority__gte=PRIORITY_MIN, priority__lte=PRIORITY_MAX), name="promotion_priority_in_band"
            ),
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=F("starts_at")), name="promotion_ends_after_start"
            ),
            models.CheckConstraint(condition=Q(kind__in=PromotionKind.values), name="promotion_kind_known"),
            models.CheckConstraint(condition=Q(channel_scope__in=ChannelScope.values), name="promotion_channel_known"),
            models.CheckConstraint(
                condition=~Q(kind=PromotionKind.SPEND_TIERS)
                | Q(percent__isnull=True, price__isnull=True, buy_quantity__isnull=True, free_quantity__isnull=True),
                name="promotion_spend_tiers_terms",
            ),
            models.CheckConstraint(
                condition=~Q(kind=PromotionKind.BUY_N_GET_M)
                | Q(buy_quantity__gte=1, free_quantity__gte=1, percent__isnull=True, price__isnull=True),
                name="promotion_buy_n_get_m_terms",
            ),
            models.CheckConstraint(
                condition=~Q(kind=PromotionKind.BUNDLE_PRICE)
                | Q(price__gt=0, percent__isnull=True, buy_quantity__isnull=True, free_quantity__isnull=True),
                name="promotion_bundle_terms",
            ),
            models.CheckConstraint(
                condition=~Q(kind=PromotionKind.CATEGORY_PERCENT)
                | Q(percent__gt=0, percent__lt=100, price__isnull=True, buy_quantity__isnull=True),
                name="promotion_category_percent_terms",
            ),
            models.CheckConstraint(
                condition=~Q(kind=PromotionKind.TIMED_PRICE)
                | Q(price__gte=0, ends_at__isnull=False, percent__isnull=True, buy_quantity__isnull=True),
                name="promotion_timed_price_terms",
            ),
            models.CheckConstraint(
                condition=Q(per_member_limit__isnull=True) | Q(kind=PromotionKind.TIMED_PRICE, per_member_limit__gte=1),
                name="promotion_limit_only_timed_price",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PromotionTier(models.Model):
    """One tier of a spend-X-save-Y promotion: spend at least `threshold`, save `amount_off`."""

    promotion = models.ForeignKey(Promotion, on_delete=models.CASCADE, related_name="tiers")
    threshold = models.DecimalField(_("spend at least"), **money_field_kwargs())
    amount_off = models.DecimalField(_("save"), **money_field_kwargs())

    class Meta:
        ordering = ["threshold"]
        constraints = [
            models.UniqueConstraint(fields=["promotion", "threshold"], name="promotion_tier_unique_threshold"),
            models.CheckConstraint(
                condition=Q(amount_off__gt=0, threshold__gt=F("amount_off")), name="promotion_tier_saves_less"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.threshold}-{self.amount_off}"


class BundleItem(models.Model):
    """One SKU of a bundle and how many of it one set holds."""

    promotion = models.ForeignKey(Promotion, on_delete=models.CASCADE, related_name="bundle_items")
    sku = models.ForeignKey("catalog.SKU", on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["promotion", "sku"], name="bundle_item_unique_sku"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="bundle_item_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.sku_id} x {self.quantity}"


class PromotionsVersion(models.Model):
    """One row: bumped in the transaction of every promotion write, so every process knows its
    cached snapshot of the active promotions is stale (`o2o.promotions.cache`)."""

    version = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="promotions_version_single_row")]

    def __str__(self) -> str:
        return str(self.version)


class MemberUsage(models.Model):
    """Units of a limited timed-price promotion a member holds: claimed by a conditional UPDATE
    that never passes `limit_units` (the CHECK is the last guard), given back on cancellation."""

    promotion = models.ForeignKey(Promotion, on_delete=models.PROTECT, related_name="+")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+")
    units = models.PositiveIntegerField(default=0)
    limit_units = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["promotion", "member"], name="promotion_usage_one_per_member"),
            models.CheckConstraint(condition=Q(units__lte=F("limit_units")), name="promotion_usage_within_limit"),
        ]

    def __str__(self) -> str:
        return f"{self.units}/{self.limit_units}"


class UsageClaim(models.Model):
    """What one order took of a member's limit (the order id only: orders sits above promotions)."""

    usage = models.ForeignKey(MemberUsage, on_delete=models.PROTECT, related_name="claims")
    order_id = models.BigIntegerField(db_index=True)
    units = models.PositiveIntegerField()
    released = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["usage", "order_id"], name="usage_claim_once_per_order"),
            models.CheckConstraint(condition=Q(units__gte=1), name="usage_claim_units_positive"),
        ]

    def __str__(self) -> str:
        return f"order {self.order_id}: {self.units}"
