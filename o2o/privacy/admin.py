"""Back office: the consent history and the data-rights log, read-only (they are evidence)."""

from django.contrib import admin

from o2o.core.backoffice import ReadOnlyAdmin
from o2o.privacy.models import DataRightsEvent, MarketingConsentRecord


@admin.register(MarketingConsentRecord)
class MarketingConsentRecordAdmin(ReadOnlyAdmin):
    list_display = ["at", "member", "given", "source"]
    list_filter = ["given", "source"]
    list_select_related = ["member"]
    date_hierarchy = "at"
    raw_id_fields = ["member"]
    show_full_result_count = False


@admin.register(DataRightsEvent)
class DataRightsEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "member", "kind", "via"]
    list_filter = ["kind", "via"]
    list_select_related = ["member"]
    date_hierarchy = "at"
    raw_id_fields = ["member"]
