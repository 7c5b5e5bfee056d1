"""Back office: orders with their lines and history, read-only (every change of an order is a
state transition made by a service, with its stock, money and events)."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from o2o.core.backoffice import ReadOnlyAdmin, ReadOnlyInline
from o2o.members.admin import phone_in, sees_contact
from o2o.orders.models import Order, OrderLine, OrderTransition


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = ["sku", "quantity", "unit_price", "line_total", "returned_quantity"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("sku")


class OrderTransitionInline(ReadOnlyInline):
    model = OrderTransition
    fields = ["at", "from_state", "to_state", "actor", "note"]
    readonly_fields = ["at"]
    ordering = ["at", "pk"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("actor")


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = [
        "number",
        "state",
        "channel",
        "fulfilment",
        "selling_location",
        "fulfilment_location",
        "member",
        "total",
        "refunded_total",
        "created_at",
    ]
    list_filter = ["state", "channel", "fulfilment", "selling_location__region"]
    list_select_related = ["selling_location", "fulfilment_location", "member"]
    search_fields = ["=number", "=selling_location__code", "=fulfilment_location__code"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-pk"]
    show_full_result_count = False  # orders run into the millions
    inlines = [OrderLineInline, OrderTransitionInline]

    def get_exclude(self, request: HttpRequest, obj: Order | None = None) -> list[str]:
        # The idempotency fields are plumbing; the delivery address is personal data.
        hidden = ["idempotency_scope", "idempotency_key", "request_fingerprint"]
        return hidden if sees_contact(request) else [*hidden, "delivery_address"]

    def get_readonly_fields(self, request: HttpRequest, obj: Order | None = None) -> list[str]:
        return ["created_at"]

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        phone = phone_in(search_term) if sees_contact(request) else None
        if phone is not None:
            results |= queryset.filter(member__phone=phone)
        return results, may_have_duplicates
