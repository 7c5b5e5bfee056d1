"""Back office: store credit plans with their dues and repayments, read-only (plans change only
through the installments services: set-up, repayment, settlement, returns)."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from o2o.core.backoffice import ReadOnlyAdmin, ReadOnlyInline
from o2o.installments.models import InstallmentDue, InstallmentPlan, InstallmentRepayment


class DueInline(ReadOnlyInline):
    model = InstallmentDue
    fields = ["seq", "due_date", "amount", "paid_amount", "paid_at", "state", "reminded_at"]
    readonly_fields = fields


class RepaymentInline(ReadOnlyInline):
    model = InstallmentRepayment
    fields = ["created_at", "kind", "amount", "method", "location", "received_by"]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("location", "received_by")


@admin.register(InstallmentPlan)
class InstallmentPlanAdmin(ReadOnlyAdmin):
    list_display = ["order", "member", "location", "periods", "financed_amount", "fee", "state", "created_at"]
    list_filter = ["state", "periods", "location"]
    date_hierarchy = "created_at"
    search_fields = ["order__number", "location__code", "location__name"]
    inlines = [DueInline, RepaymentInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("order", "member", "location")
