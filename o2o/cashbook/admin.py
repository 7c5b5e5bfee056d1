"""Back office: daily closes, read-only (a day is closed only through the cash-book service)."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from o2o.cashbook.models import DailyClose
from o2o.core.backoffice import ReadOnlyAdmin


@admin.register(DailyClose)
class DailyCloseAdmin(ReadOnlyAdmin):
    list_display = [
        "business_date",
        "location",
        "expected_cash",
        "counted_cash",
        "variance",
        "variance_flagged",
        "closed_by",
        "closed_at",
    ]
    list_filter = ["variance_flagged", "business_date", "location"]
    date_hierarchy = "business_date"
    search_fields = ["location__code", "location__name", "note"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("location", "closed_by")
