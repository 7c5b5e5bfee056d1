"""Back office: points and levels, read-only. Points move through the services (earning on order
events, spending as a tender, adjustments with a reason on HQ's page); levels and category rules are
edited on HQ's points-and-levels page, which checks the permission table."""

from django.contrib import admin

from o2o.core.backoffice import ReadOnlyAdmin, ReadOnlyInline
from o2o.loyalty.models import (
    CategoryPointsRule,
    GrowthEntry,
    LevelChange,
    PointsAccount,
    PointsEarning,
    PointsEntry,
    PointsLot,
)
from o2o.members.models import MemberLevel


@admin.register(MemberLevel)
class MemberLevelAdmin(ReadOnlyAdmin):
    list_display = ["name", "code", "rank", "min_growth", "discount_percent", "points_multiplier", "free_delivery"]


@admin.register(CategoryPointsRule)
class CategoryPointsRuleAdmin(ReadOnlyAdmin):
    list_display = ["category", "multiplier", "updated_at"]
    list_select_related = ["category"]


class LotInline(ReadOnlyInline):
    model = PointsLot
    fields = ["points", "remaining", "expires_at", "expired_at"]
    ordering = ["expires_at"]


@admin.register(PointsAccount)
class PointsAccountAdmin(ReadOnlyAdmin):
    list_display = ["member", "available", "updated_at"]
    list_select_related = ["member"]
    raw_id_fields = ["member"]
    inlines = [LotInline]
    show_full_result_count = False


@admin.register(PointsEntry)
class PointsEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "account", "kind", "points", "order_id", "expires_at", "note"]
    list_filter = ["kind"]
    list_select_related = ["account__member"]
    raw_id_fields = ["account", "refund_of", "actor"]
    date_hierarchy = "created_at"
    show_full_result_count = False


@admin.register(PointsEarning)
class PointsEarningAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "member", "order_id", "line_id", "quantity", "points", "reversed_points", "state"]
    list_filter = ["state"]
    list_select_related = ["member"]
    raw_id_fields = ["member"]
    show_full_result_count = False


@admin.register(GrowthEntry)
class GrowthEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "member", "order_id", "amount"]
    list_select_related = ["member"]
    raw_id_fields = ["member"]
    show_full_result_count = False


@admin.register(LevelChange)
class LevelChangeAdmin(ReadOnlyAdmin):
    list_display = ["at", "member", "from_level", "to_level", "growth"]
    list_select_related = ["member", "from_level", "to_level"]
    raw_id_fields = ["member"]
