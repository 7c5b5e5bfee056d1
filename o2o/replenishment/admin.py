"""Back office: replenishment proposals, read-only (decided through the services and the manager page)."""

from django.contrib import admin

from o2o.core.backoffice import ReadOnlyAdmin
from o2o.replenishment.models import Proposal


@admin.register(Proposal)
class ProposalAdmin(ReadOnlyAdmin):
    list_display = ["proposed_at", "location", "sku", "source", "state", "quantity", "approved_quantity", "transfer"]
    list_filter = ["state", "location__region"]
    list_select_related = ["location", "sku", "source", "transfer"]
    search_fields = ["=location__code", "location__name", "=sku__code", "sku__name"]
    ordering = ["-proposed_at", "-pk"]
    show_full_result_count = False
