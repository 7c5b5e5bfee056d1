"""Points and growth: a ledger with a cached balance, lots for expiry, pending earnings per order line.

- `PointsEarning`: what an order line earns, written when the order is paid (one INSERT for the
  whole order); pending until the order completes, reversed unit by unit on returns.
- `PointsAccount.available`: the cached sum of the account's `PointsEntry` rows, changed only by
  conditional UPDATE (CHECK available >= 0). Created lazily when points first become available.
- `PointsLot`: points that became available together and expire together; spending takes the
  soonest-expiring lots first (`PointsLotUse` remembers which, so a refund goes back into them).
- `GrowthEntry`: yuan kept on a completed order (levels are reached by their 12-month sum);
  `LevelChange`: the history of the nightly level job.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from o2o.core.money import money_field_kwargs


class CategoryPointsRule(models.Model):
    """Points multiplier for a category (and its sub-categories without a rule of their own).
    0 means the category earns no points (e.g. prescription drugs)."""

    category = models.OneToOneField(
        "catalog.Category", on_delete=models.CASCADE, related_name="points_rule", verbose_name=_("category")
    )
    multiplier = models.DecimalField(_("points multiplier"), max_digits=4, decimal_places=2)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("category points rule")
        verbose_name_plural = _("category points rules")
        constraints = [
            models.CheckConstraint(
                condition=Q(multiplier__gte=0, multiplier__lte=10), name="categorypointsrule_multiplier_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category_id} x{self.multiplier}"


class PointsEarning(models.Model):
    """Points one order line earns; pending until the order completes."""

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        CONFIRMED = "confirmed", _("confirmed")
        REVERSED = "reversed", _("reversed")

    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="points_earnings")
    # Plain ids: loyalty sits below orders and never imports it.
    order_id = models.BigIntegerField(_("order"), db_index=True)
    line_id = models.BigIntegerField(_("order line"), unique=True)
    quantity = models.PositiveIntegerField(_("quantity"))
    points = models.PositiveIntegerField(_("points"))
    returned_quantity = models.PositiveIntegerField(_("returned"), default=0)
    reversed_points = models.PositiveIntegerField(_("points reversed"), default=0)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    created_at = models.DateTimeField(_("earned at"), auto_now_add=True)
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("points earning")
        verbose_name_plural = _("points earnings")
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=["pending", "confirmed", "reversed"]), name="earning_state_valid"
            ),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="earning_quantity_positive"),
            models.CheckConstraint(
                condition=Q(returned_quantity__lte=F("quantity")), name="earning_return_within_quantity"
            ),
            models.CheckConstraint(
                condition=Q(reversed_points__lte=F("points")), name="earning_reversal_within_points"
            ),
            models.CheckConstraint(
                condition=Q(state="pending") | Q(settled_at__isnull=False), name="earning_settled_has_time"
            ),
        ]
        indexes = [models.Index(fields=["member", "state"], name="earning_member_state")]

    def __str__(self) -> str:
        return f"line {self.line_id}: {self.points} ({self.state})"

    @property
    def open_points(self) -> int:
        return self.points - self.reversed_points


class PointsAccount(models.Model):
    member = models.OneToOneField("members.Member", on_delete=models.PROTECT, related_name="points_account")
    available = models.IntegerField(_("available points"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("points account")
        verbose_name_plural = _("points accounts")
        constraints = [
            models.CheckConstraint(condition=Q(available__gte=0), name="pointsaccount_available_not_negative")
        ]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.available}"


class EntryKind(models.TextChoices):
    EARN = "earn", _("earned")  # an order completed: its pending points became available
    SPEND = "spend", _("spent")  # paid part of an order
    REFUND = "refund", _("refunded")  # a spend given back
    EXPIRE = "expire", _("expired")
    ADJUST = "adjust", _("adjusted")  # by HQ or customer service, with a reason
    AWARD = "award", _("awarded")  # a campaign's reward (referral, check-in), once per reference


class PointsEntry(models.Model):
    """One movement of available points; the account's balance is their sum."""

    account = models.ForeignKey(PointsAccount, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(_("kind"), max_length=10, choices=EntryKind.choices)
    points = models.IntegerField(_("points"))
    # What the movement belongs to, unique per kind: "order:42", the caller's spend reference, ...
    reference = models.CharField(_("reference"), max_length=80)
    order_id = models.BigIntegerField(_("order"), null=True, blank=True)
    # For a refund: the spend it gives back.
    refund_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="refunds", verbose_name=_("refund of")
    )
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("points entry")
        verbose_name_plural = _("points entries")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=EntryKind.values), name="pointsentry_kind_valid"),
            models.CheckConstraint(condition=~Q(points=0), name="pointsentry_points_not_zero"),
            models.CheckConstraint(
                condition=Q(kind__in=["earn", "refund", "award"], points__gt=0)
                | Q(kind__in=["spend", "expire"], points__lt=0)
                | Q(kind="adjust"),
                name="pointsentry_sign_by_kind",
            ),
            models.CheckConstraint(
                condition=Q(kind="refund", refund_of__isnull=False) | (~Q(kind="refund") & Q(refund_of__isnull=True)),
                name="pointsentry_refund_has_spend",
            ),
            models.UniqueConstraint(fields=["kind", "reference"], name="pointsentry_kind_reference_unique"),
        ]
        indexes = [models.Index(fields=["account", "created_at"], name="pointsentry_account_at")]

    def __str__(self) -> str:
        return f"{self.kind} {self.points:+d} ({self.reference})"


class PointsLot(models.Model):
    """Points that became available together and expire together."""

    account = models.ForeignKey(PointsAccount, on_delete=models.PROTECT, related_name="lots")
    entry = models.OneToOneField(PointsEntry, on_delete=models.PROTECT, related_name="lot")
    points = models.PositiveIntegerField(_("points"))
    remaining = models.PositiveIntegerField(_("remaining"))
    expires_at = models.DateTimeField(_("expires at"))
    expired_at = models.DateTimeField(_("expired at"), null=True, blank=True)

    class Meta:
        verbose_name = _("points lot")
        verbose_name_plural = _("points lots")
        constraints = [
            models.CheckConstraint(condition=Q(points__gt=0), name="pointslot_points_positive"),
            models.CheckConstraint(condition=Q(remaining__lte=F("points")), name="pointslot_remaining_within_points"),
            models.CheckConstraint(
                condition=Q(expired_at__isnull=True) | Q(remaining=0), name="pointslot_expired_is_empty"
            ),
        ]
        indexes = [
            models.Index(fields=["account", "expires_at"], name="pointslot_account_expiry"),
            models.Index(fields=["expires_at"], condition=Q(remaining__gt=0), name="pointslot_live_by_expiry"),
        ]

    def __str__(self) -> str:
        return f"{self.remaining}/{self.points} until {self.expires_at:%Y-%m-%d}"


class PointsLotUse(models.Model):
    """How many points of a lot a spend (or a negative adjustment) took, and how many came back."""

    entry = models.ForeignKey(PointsEntry, on_delete=models.PROTECT, related_name="lot_uses")
    lot = models.ForeignKey(PointsLot, on_delete=models.PROTECT, related_name="uses")
    points = models.PositiveIntegerField(_("points"))
    refunded = models.PositiveIntegerField(_("refunded"), default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(points__gt=0), name="pointslotuse_points_positive"),
            models.CheckConstraint(condition=Q(refunded__lte=F("points")), name="pointslotuse_refund_within_use"),
            models.UniqueConstraint(fields=["entry", "lot"], name="pointslotuse_one_per_lot"),
        ]

    def __str__(self) -> str:
        return f"{self.points} of lot {self.lot_id}"


class GrowthEntry(models.Model):
    """Growth value from one completed order: the yuan the customer kept (net, after returns)."""

    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="growth_entries")
    order_id = models.BigIntegerField(_("order"), unique=True)
    amount = models.DecimalField(_("amount"), **money_field_kwargs())
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("growth entry")
        verbose_name_plural = _("growth entries")
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0), name="growthentry_amount_not_negative")]
        indexes = [models.Index(fields=["member", "at"], name="growthentry_member_at")]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.amount}"


class LevelChange(models.Model):
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="level_changes")
    from_level = models.ForeignKey(
        "members.MemberLevel", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_level = models.ForeignKey(
        "members.MemberLevel", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    growth = models.PositiveIntegerField(_("growth value"))
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("level change")
        verbose_name_plural = _("level changes")
        indexes = [models.Index(fields=["member", "at"], name="levelchange_member_at")]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.from_level_id} -> {self.to_level_id}"
