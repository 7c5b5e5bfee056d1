"""Commission: plans (rates by SKU / category / default, monthly volume tiers, a monthly cap) and
the ledger that turns attribution's line credits into an employee's money (docs/commission.md).

The ledger is append-only (`CommissionEntry`); an employee's balance row (`CommissionBalance`:
frozen, settled) and month row (`CommissionMonth`: credited volume, accrued commission) are
caches of it, changed only by conditional UPDATE in `services.py`; the CHECKs below are the last
guard and `o2o audit` recomputes them from the entries."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from o2o.core.money import money_field_kwargs


def _percent_field(verbose_name):
    return models.DecimalField(verbose_name, max_digits=5, decimal_places=2)


class CommissionPlan(models.Model):
    """The rules in force from `effective_from` (a date, inclusive) to `effective_to` (exclusive;
    open when null). A plan's rates and tiers never change once created: a new rule is a new plan
    from a later date, so past statements keep the plan that produced them. When plans overlap,
    the one with the latest `effective_from` wins."""

    name = models.CharField(_("name"), max_length=120)
    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(_("effective to"), null=True, blank=True)
    monthly_cap = models.DecimalField(_("monthly cap"), null=True, blank=True, **money_field_kwargs())
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("commission plan")
        verbose_name_plural = _("commission plans")
        constraints = [
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gt=F("effective_from")),
                name="commission_plan_period_valid",
            ),
            models.CheckConstraint(
                condition=Q(monthly_cap__isnull=True) | Q(monthly_cap__gte=0), name="commission_plan_cap_not_negative"
            ),
        ]
        indexes = [models.Index(fields=["effective_from"], name="commission_plan_from_idx")]

    def __str__(self) -> str:
        return self.name


class PlanRate(models.Model):
    """A rate in percent of the credited amount: for one SKU, for a category (and the categories
    under it), or the plan's default (neither). The most specific one applies."""

    plan = models.ForeignKey(CommissionPlan, on_delete=models.PROTECT, related_name="rates")
    sku = models.ForeignKey("catalog.SKU", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    category = models.ForeignKey("catalog.Category", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    percent = _percent_field(_("rate %"))

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(sku__isnull=True) | Q(category__isnull=True), name="plan_rate_sku_or_category"
            ),
            models.CheckConstraint(condition=Q(percent__gte=0, percent__lte=100), name="plan_rate_percent_range"),
            models.UniqueConstraint(
                fields=["plan", "sku"], condition=Q(sku__isnull=False), name="plan_rate_one_per_sku"
            ),
            models.UniqueConstraint(
                fields=["plan", "category"], condition=Q(category__isnull=False), name="plan_rate_one_per_category"
            ),
            models.UniqueConstraint(
                fields=["plan"], condition=Q(sku__isnull=True, category__isnull=True), name="plan_rate_one_default"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.percent}%"


class PlanTier(models.Model):
    """A bonus on top of the line's rate once the employee's credited volume in the month has
    reached `monthly_volume_from`. Applied per line, like a tax bracket: a line earns the bonus of
    the tier the month's volume had reached *before* that line, so earlier lines never change."""

    plan = models.ForeignKey(CommissionPlan, on_delete=models.PROTECT, related_name="tiers")
    monthly_volume_from = models.DecimalField(_("monthly volume from"), **money_field_kwargs())
    bonus_percent = _percent_field(_("bonus %"))

    class Meta:
        ordering = ["monthly_volume_from"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "monthly_volume_from"], name="plan_tier_one_per_threshold"),
            models.CheckConstraint(condition=Q(monthly_volume_from__gte=0), name="plan_tier_from_not_negative"),
            models.CheckConstraint(
                condition=Q(bonus_percent__gte=0, bonus_percent__lte=100), name="plan_tier_bonus_range"
            ),
        ]

    def __str__(self) -> str:
        return f"from {self.monthly_volume_from}: +{self.bonus_percent}%"


class CommissionBalance(models.Model):
    """An employee's commission: frozen (accrued, the return window still open) and settled
    (earned for good). Locked first by every accrual of the employee, which serializes them."""

    employee = models.OneToOneField("staff.Employee", primary_key=True, on_delete=models.PROTECT, related_name="+")
    frozen = models.DecimalField(_("frozen"), default=0, **money_field_kwargs())
    settled = models.DecimalField(_("settled"), default=0, **money_field_kwargs())

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(frozen__gte=0), name="commission_frozen_not_negative")]

    def __str__(self) -> str:
        return f"employee {self.employee_id}: frozen {self.frozen}, settled {self.settled}"


class CommissionMonth(models.Model):
    """What an employee accrued in a month (the period of the order's payment): the credited volume
    (sum of accrued bases, which picks the tier) and the commission (held under the plan's cap).
    Reversals give neither back: a tier reached or a cap filled stays so for the month."""

    employee = models.ForeignKey("staff.Employee", on_delete=models.PROTECT, related_name="+")
    period = models.DateField(_("period"))
    volume = models.DecimalField(_("volume"), default=0, **money_field_kwargs())
    accrued = models.DecimalField(_("accrued"), default=0, **money_field_kwargs())

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["employee", "period"], name="commission_month_one_per_employee"),
            models.CheckConstraint(condition=Q(volume__gte=0, accrued__gte=0), name="commission_month_not_negative"),
        ]

    def __str__(self) -> str:
        return f"employee {self.employee_id} {self.period:%Y-%m}"


class EntryKind(models.TextChoices):
    ACCRUAL = "accrual", _("accrued")  # + frozen: the order was paid
    REVERSAL = "reversal", _("reversed")  # - frozen: units returned within the window
    SETTLEMENT = "settlement", _("settled")  # frozen -> settled: the return window closed
    CLAWBACK = "clawback", _("clawed back")  # - settled: a return after settlement


class CommissionEntry(models.Model):
    """One movement of an employee's commission; append-only.

    An accrual holds how it was computed (plan, the base rate and the tier bonus, the credited base,
    whether the cap clipped it) and counts what was reversed of it (`reversed_base`,
    `reversed_amount`, by conditional UPDATE). A reversal or clawback points at its accrual; a
    settlement is one per accrual. Every entry carries its accrual's period, so a month's statement
    is the sum of that month's entries."""

    employee = models.ForeignKey("staff.Employee", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=12, choices=EntryKind.choices)
    credit = models.ForeignKey("attribution.LineCredit", on_delete=models.PROTECT, related_name="+")
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="+")
    line = models.ForeignKey("orders.OrderLine", on_delete=models.PROTECT, related_name="+")
    plan = models.ForeignKey(CommissionPlan, on_delete=models.PROTECT, related_name="+")
    base_percent = _percent_field(_("rate %"))
    tier_bonus_percent = _percent_field(_("tier bonus %"))
    rate = _percent_field(_("rate %"))  # base_percent + tier_bonus_percent
    tier_from = models.DecimalField(_("tier from"), null=True, blank=True, **money_field_kwargs())
    base = models.DecimalField(_("base"), **money_field_kwargs())  # the credited amount (negative on a reversal)
    amount = models.DecimalField(_("amount"), **money_field_kwargs())
    clipped = models.BooleanField(_("clipped by the monthly cap"), default=False)
    reverses = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversals")
    reversed_base = models.DecimalField(default=0, **money_field_kwargs())
    reversed_amount = models.DecimalField(default=0, **money_field_kwargs())
    period = models.DateField(_("period"))  # the first day of the month the order was paid in
    frozen_until = models.DateTimeField(_("frozen until"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("commission entry")
        verbose_name_plural = _("commission entries")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=EntryKind.values), name="commission_entry_kind_valid"),
            # one accrual per credit, one settlement per accrual's credit, one reversal per reversal credit
            models.UniqueConstraint(fields=["credit", "kind"], name="commission_entry_once_per_credit"),
            models.CheckConstraint(
                condition=~Q(kind="accrual") | Q(amount__gte=0, base__gte=0, reverses__isnull=True),
                name="commission_accrual_positive",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["reversal", "clawback"]) | Q(amount__lte=0, base__lte=0, reverses__isnull=False),
                name="commission_reversal_negative",
            ),
            models.CheckConstraint(
                condition=~Q(kind="settlement") | Q(amount__gte=0, reverses__isnull=True),
                name="commission_settlement_positive",
            ),
            models.CheckConstraint(
                condition=Q(reversed_amount__gte=0, reversed_amount__lte=F("amount"))
                & Q(reversed_base__gte=0, reversed_base__lte=F("base"))
                | ~Q(kind="accrual") & Q(reversed_amount=0, reversed_base=0),
                name="commission_reversed_within_accrual",
            ),
        ]
        indexes = [
            models.Index(fields=["employee", "period", "kind"], name="commission_entry_statement_idx"),
            models.Index(fields=["order", "kind"], name="commission_entry_order_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} (employee {self.employee_id})"
