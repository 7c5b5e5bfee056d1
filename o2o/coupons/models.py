"""Coupons: templates a marketer defines, and the coupons issued from them to members.

- `CouponTemplate`: what a coupon gives (kind and its amounts), when it is valid (a window, or a
  number of days after issue), where (channel, stores, categories, SKUs), and how many exist
  (`quota`; `issued_count` changes only by one conditional UPDATE, CHECK issued_count <= quota).
- `Coupon`: one coupon of one member. Available, used by exactly one order (its `order_id`), or
  void. Its validity is copied at issue; expiry is by date (no sweeper). `slot` numbers a member's
  coupons of a template (1..per_member_limit): UNIQUE (template, member, slot) holds the
  per-member limit when claims race, and UNIQUE (template, member, reference) makes grants
  idempotent.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from o2o.core.money import money_field_kwargs
from o2o.pricing.models import ChannelScope


class CouponKind(models.TextChoices):
    AMOUNT_OFF = "amount_off", _("amount off")
    PERCENT_OFF = "percent_off", _("percent off")
    THRESHOLD = "threshold", _("spend X save Y")
    FREE_ITEM = "free_item", _("free item")


class OnReturn(models.TextChoices):
    RESTORE = "restore", _("give the coupon back")
    VOID = "void", _("void the coupon")


class CouponState(models.TextChoices):
    AVAILABLE = "available", _("available")
    USED = "used", _("used")
    VOID = "void", _("void")


class CouponSource(models.TextChoices):
    CLAIM = "claim", _("claimed")
    GRANT = "grant", _("granted")
    REGISTRATION = "registration", _("registration gift")
    REMEDY = "remedy", _("customer-service remedy")
    REFERRAL = "referral", _("referral reward")
    RED_PACKET = "red_packet", _("red packet")
    CHECK_IN = "check_in", _("check-in reward")


class CouponTemplate(models.Model):
    campaign = models.ForeignKey(
        "pricing.Campaign",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="coupon_templates",
        verbose_name=_("campaign"),
    )
    name = models.CharField(_("name"), max_length=120)
    description = models.CharField(_("description"), max_length=255, blank=True)
    kind = models.CharField(_("kind"), max_length=12, choices=CouponKind.choices)
    # amount_off and threshold: the amount taken off; threshold also needs min_spend >= amount.
    amount = models.DecimalField(_("amount off"), null=True, blank=True, **money_field_kwargs())
    percent = models.PositiveSmallIntegerField(_("percent off"), null=True, blank=True)
    cap = models.DecimalField(_("at most"), null=True, blank=True, **money_field_kwargs())
    # What the lines in scope must come to (after earlier discounts) for the coupon to apply.
    min_spend = models.DecimalField(_("minimum spend"), default=0, **money_field_kwargs())
    free_sku = models.ForeignKey(
        "catalog.SKU", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("free item")
    )
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    valid_days = models.PositiveSmallIntegerField(_("valid for days after issue"), null=True, blank=True)
    channel_scope = models.CharField(
        _("channels"), max_length=10, choices=ChannelScope.choices, default=ChannelScope.BOTH
    )
    locations = models.ManyToManyField(
        "stores.Location", blank=True, related_name="+", verbose_name=_("stores (empty: all)")
    )
    categories = models.ManyToManyField(
        "catalog.Category", blank=True, related_name="+", verbose_name=_("categories (empty: all)")
    )
    skus = models.ManyToManyField("catalog.SKU", blank=True, related_name="+", verbose_name=_("SKUs (empty: all)"))
    quota = models.PositiveIntegerField(_("quota (empty: unlimited)"), null=True, blank=True)
    issued_count = models.PositiveIntegerField(_("issued"), default=0)
    per_member_limit = models.PositiveSmallIntegerField(_("per member"), default=1)
    claimable = models.BooleanField(_("shown in the claim centre"), default=False)
    on_registration = models.BooleanField(_("given to new members"), default=False)
    on_return = models.CharField(
        _("when the order is refunded"), max_length=8, choices=OnReturn.choices, default=OnReturn.RESTORE
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("coupon template")
        verbose_name_plural = _("coupon templates")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind=CouponKind.AMOUNT_OFF, amount__gt=0, percent__isnull=True, free_sku__isnull=True)
                    | Q(
                        kind=CouponKind.PERCENT_OFF,
                        amount__isnull=True,
                        percent__gte=1,
                        percent__lte=99,
                        free_sku__isnull=True,
                    )
                    | Q(
                        kind=CouponKind.THRESHOLD,
                        amount__gt=0,
                        min_spend__gte=F("amount"),
                        percent__isnull=True,
                        free_sku__isnull=True,
                    )
                    | Q(kind=CouponKind.FREE_ITEM, amount__isnull=True, percent__isnull=True, free_sku__isnull=False)
                ),
                name="coupontemplate_fields_fit_kind",
            ),
            models.CheckConstraint(
                condition=Q(cap__isnull=True) | Q(kind=CouponKind.PERCENT_OFF, cap__gt=0),
                name="coupontemplate_cap_only_on_percent",
            ),
            models.CheckConstraint(condition=Q(min_spend__gte=0), name="coupontemplate_min_spend_not_negative"),
            models.CheckConstraint(
                condition=(
                    Q(valid_from__isnull=False, valid_until__gt=F("valid_from"), valid_days__isnull=True)
                    | Q(valid_from__isnull=True, valid_until__isnull=True, valid_days__gte=1)
                ),
                name="coupontemplate_window_or_days",
            ),
            models.CheckConstraint(
                condition=Q(quota__isnull=True) | Q(issued_count__lte=F("quota")),
                name="coupontemplate_issued_within_quota",
            ),
            models.CheckConstraint(condition=Q(per_member_limit__gte=1), name="coupontemplate_limit_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class Coupon(models.Model):
    template = models.ForeignKey(CouponTemplate, on_delete=models.PROTECT, related_name="coupons")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="coupons")
    slot = models.PositiveSmallIntegerField(_("number of the member's coupon of this template"))
    state = models.CharField(_("state"), max_length=10, choices=CouponState.choices, default=CouponState.AVAILABLE)
    valid_from = models.DateTimeField(_("valid from"))
    valid_until = models.DateTimeField(_("valid until"))
    source = models.CharField(_("source"), max_length=14, choices=CouponSource.choices)
    reference = models.CharField(_("reference"), max_length=80, blank=True)  # why: "ticket:55"...
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Plain id: coupons sits below orders and never imports it.
    order_id = models.PositiveBigIntegerField(_("order"), null=True, blank=True, db_index=True)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    voided_note = models.CharField(_("why void"), max_length=80, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("coupon")
        verbose_name_plural = _("coupons")
        indexes = [models.Index(fields=["member", "state"], name="coupon_member_state")]
        constraints = [
            models.UniqueConstraint(fields=["template", "member", "slot"], name="coupon_member_slot_unique"),
            models.UniqueConstraint(
                fields=["template", "member", "reference"],
                condition=~Q(reference=""),
                name="coupon_reference_unique",
            ),
            models.CheckConstraint(
                condition=(
                    Q(state=CouponState.USED, order_id__isnull=False, used_at__isnull=False)
                    | (~Q(state=CouponState.USED) & Q(order_id__isnull=True, used_at__isnull=True))
                ),
                name="coupon_used_iff_order",
            ),
            models.CheckConstraint(condition=Q(valid_until__gt=F("valid_from")), name="coupon_valid_window"),
            models.CheckConstraint(condition=Q(slot__gte=1), name="coupon_slot_positive"),
            # One coupon per order, held by the database too (the rule refuses a second one first).
            models.UniqueConstraint(
                fields=["order_id"], condition=Q(order_id__isnull=False), name="coupon_one_per_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template_id}:{self.member_id}:{self.slot}"

    @property
    def is_usable(self) -> bool:
        now = timezone.now()
        return self.state == CouponState.AVAILABLE and self.valid_from <= now < self.valid_until

    @property
    def is_expired(self) -> bool:
        return self.state == CouponState.AVAILABLE and self.valid_until <= timezone.now()
