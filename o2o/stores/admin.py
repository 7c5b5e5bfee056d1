"""Back office: regions and locations, edited by HQ (they have no service of their own yet)."""

from django.contrib import admin

from o2o.stores.models import Location, Region


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]
    ordering = ["code"]


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "ownership", "region", "pickup_enabled", "is_active"]
    list_filter = ["kind", "ownership", "is_active", "pickup_enabled", "region"]
    list_select_related = ["region"]
    search_fields = ["code", "name", "address"]
    autocomplete_fields = ["region"]
    ordering = ["code"]
    show_full_result_count = False  # no second COUNT(*) over a chain of thousands of stores
