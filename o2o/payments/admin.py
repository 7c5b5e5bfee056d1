"""Back office: payments, refunds, gateway callbacks and money alerts, read-only (money moves
only through the payment services). A gateway reference is a bearer of the pay link and a
callback payload may carry the gateway's signature: both are shown masked."""

import json

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from o2o.core.backoffice import ReadOnlyAdmin, ReadOnlyInline
from o2o.core.redaction import mask_secrets, mask_tail
from o2o.payments.models import GatewayCallback, Payment, PaymentAlert, Refund


class RefundInline(ReadOnlyInline):
    model = Refund
    fields = ["created_at", "amount", "points", "reason", "state", "created_by"]
    readonly_fields = ["created_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("created_by")


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at", "order", "method", "state", "amount", "points", "refunded_amount", "location", "gateway",
    ]  # fmt: skip
    list_filter = ["state", "method", "gateway"]
    list_select_related = ["order", "location"]
    search_fields = ["=order__number", "=gateway_txn_id", "=gateway_ref"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-pk"]
    show_full_result_count = False
    exclude = ["gateway_ref"]
    readonly_fields = ["masked_gateway_ref", "created_at"]
    inlines = [RefundInline]

    @admin.display(description=_("gateway reference"))
    def masked_gateway_ref(self, payment: Payment) -> str:
        return mask_tail(payment.gateway_ref)


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "order_number", "amount", "state", "attempts", "reason", "created_by"]
    list_filter = ["state"]
    list_select_related = ["payment__order", "created_by"]
    search_fields = ["=payment__order__number", "=payment__gateway_txn_id"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-pk"]
    readonly_fields = ["created_at"]

    @admin.display(description=_("order number"), ordering="payment__order__number")
    def order_number(self, refund: Refund) -> str:
        return refund.payment.order.number


@admin.register(GatewayCallback)
class GatewayCallbackAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "gateway", "event_id", "outcome"]
    list_filter = ["gateway", "outcome"]
    search_fields = ["=event_id"]
    date_hierarchy = "received_at"
    ordering = ["-received_at", "-pk"]
    show_full_result_count = False
    exclude = ["payload"]
    readonly_fields = ["masked_payload", "received_at"]

    @admin.display(description=_("payload"))
    def masked_payload(self, callback: GatewayCallback) -> str:
        shown = json.dumps(mask_secrets(callback.payload), ensure_ascii=False, indent=2, sort_keys=True)
        return format_html("<pre>{}</pre>", shown)


@admin.register(PaymentAlert)
class PaymentAlertAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "detail", "payment", "refund", "resolved_at"]
    list_filter = ["kind", ("resolved_at", admin.EmptyFieldListFilter)]
    list_select_related = ["payment", "refund"]
    search_fields = ["=event_id", "=payment__order__number"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-pk"]
    readonly_fields = ["created_at"]
