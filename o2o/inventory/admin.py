"""Back office: stock levels, the stock ledger, reservations and transfers, read-only (stock
moves only through the inventory services, which keep the ledger and the cached levels together)."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from o2o.core.backoffice import ReadOnlyAdmin, ReadOnlyInline
from o2o.inventory.models import Reservation, StockLevel, StockMove, Transfer, TransferLine


@admin.register(StockLevel)
class StockLevelAdmin(ReadOnlyAdmin):
    list_display = ["location", "sku", "on_hand", "reserved", "available", "alert_level", "target_level"]
    list_filter = ["location__kind", "location__region"]
    list_select_related = ["location", "sku"]
    search_fields = ["=location__code", "location__name", "=sku__code", "=sku__barcode", "sku__name"]
    ordering = ["location__code", "sku__code"]
    show_full_result_count = False

    @admin.display(description=_("available"))
    def available(self, level: StockLevel) -> int:
        return level.available


@admin.register(StockMove)
class StockMoveAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "location", "sku", "kind", "quantity", "actor", "reason", "reference"]
    list_filter = ["kind", "location__kind", "location__region"]
    list_select_related = ["location", "sku", "actor"]
    search_fields = ["=reference", "=location__code", "=sku__code", "reason"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-pk"]
    show_full_result_count = False  # the ledger is the largest table


@admin.register(Reservation)
class ReservationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "order_number", "location", "sku", "quantity", "state", "expires_at"]
    list_filter = ["state", "location__region"]
    list_select_related = ["order_line__order", "location", "sku"]
    search_fields = ["=order_line__order__number", "=location__code", "=sku__code"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-pk"]
    show_full_result_count = False

    @admin.display(description=_("order number"), ordering="order_line__order__number")
    def order_number(self, reservation: Reservation) -> str:
        return reservation.order_line.order.number


class TransferLineInline(ReadOnlyInline):
    model = TransferLine
    fields = ["sku", "quantity"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("sku")


@admin.register(Transfer)
class TransferAdmin(ReadOnlyAdmin):
    list_display = ["pk", "source", "destination", "state", "created_by", "created_at", "received_at"]
    list_filter = ["state", "source__kind", "destination__region"]
    list_select_related = ["source", "destination", "created_by"]
    search_fields = ["=source__code", "=destination__code"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-pk"]
    inlines = [TransferLineInline]
