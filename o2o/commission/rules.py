"""Which plan, rate and tier apply to a credited line (pure reads; the ledger is in services.py)."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Q

from o2o.catalog.models import SKU, Category
from o2o.commission.models import CommissionPlan, PlanRate, PlanTier


def plan_for(day: date) -> CommissionPlan | None:
    """The plan in force on that day: the one with the latest start among those covering it."""
    return (
        CommissionPlan.objects.filter(effective_from__lte=day)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gt=day))
        .order_by("-effective_from", "-pk")
        .first()
    )


@dataclass
class PlanRules:
    """One plan's rates and tiers, loaded once per accrual batch."""

    plan: CommissionPlan
    default: Decimal = Decimal(0)
    by_sku: dict[int, Decimal] = field(default_factory=dict)
    by_category: dict[int, Decimal] = field(default_factory=dict)
    tiers: list[tuple[Decimal, Decimal]] = field(default_factory=list)  # (from, bonus), ascending
    _category_parent: dict[int, int | None] = field(default_factory=dict)

    @classmethod
    def load(cls, plan: CommissionPlan) -> "PlanRules":
        rules = cls(plan=plan)
        for sku_id, category_id, percent in PlanRate.objects.filter(plan=plan).values_list(
            "sku_id", "category_id", "percent"
        ):
            if sku_id is not None:
                rules.by_sku[sku_id] = percent
            elif category_id is not None:
                rules.by_category[category_id] = percent
            else:
                rules.default = percent
        rules.tiers = list(
            PlanTier.objects.filter(plan=plan).order_by("monthly_volume_from").values_list(
                "monthly_volume_from", "bonus_percent"
            )
        )
        if rules.by_category:
            rules._category_parent = dict(Category.objects.values_list("pk", "parent_id"))
        return rules

    def rate_for(self, sku: SKU) -> Decimal:
        """The SKU's own rate, else its category's (or the nearest ancestor's), else the default."""
        if sku.pk in self.by_sku:
            return self.by_sku[sku.pk]
        category_id: int | None = sku.product.category_id
        seen: set[int] = set()
        while category_id is not None and category_id not in seen:
            if category_id in self.by_category:
                return self.by_category[category_id]
            seen.add(category_id)
            category_id = self._category_parent.get(category_id)
        return self.default

    def tier_for(self, volume_before: Decimal) -> tuple[Decimal | None, Decimal]:
        """(threshold, bonus) of the highest tier the month's volume had reached before the line."""
        reached: tuple[Decimal | None, Decimal] = (None, Decimal(0))
        for threshold, bonus in self.tiers:
            if threshold <= volume_before:
                reached = (threshold, bonus)
        return reached
