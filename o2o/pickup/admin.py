"""Back office: pickup vouchers and the verification trail, read-only (redeeming and undoing go
through the pickup services at the counter). The code a customer shows is a bearer secret: the
back office shows only its last four digits and cannot be searched by it."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from o2o.core.backoffice import ReadOnlyAdmin, ReadOnlyInline
from o2o.core.redaction import mask_tail
from o2o.pickup.models import PickupVoucher, VoucherAttempt


class VoucherAttemptInline(ReadOnlyInline):
    model = VoucherAttempt
    fields = ["at", "staff", "location", "code_tail", "result"]
    readonly_fields = ["at"]
    ordering = ["at", "pk"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("staff", "location")


@admin.register(PickupVoucher)
class PickupVoucherAdmin(ReadOnlyAdmin):
    list_display = ["issued_at", "order", "location", "masked_code", "state", "expires_at", "redeemed_at"]
    list_filter = ["state", "location__region"]
    list_select_related = ["order", "location"]
    search_fields = ["=order__number", "=location__code"]
    date_hierarchy = "issued_at"
    ordering = ["-issued_at", "-pk"]
    show_full_result_count = False
    exclude = ["code"]
    readonly_fields = ["masked_code", "issued_at"]
    inlines = [VoucherAttemptInline]

    @admin.display(description=_("pickup code"))
    def masked_code(self, voucher: PickupVoucher) -> str:
        return mask_tail(voucher.code)


@admin.register(VoucherAttempt)
class VoucherAttemptAdmin(ReadOnlyAdmin):
    list_display = ["at", "staff", "location", "order_number", "code_tail", "result"]
    list_filter = ["result", "location__region"]
    list_select_related = ["staff", "location", "voucher__order"]
    search_fields = ["staff__username", "=location__code", "=voucher__order__number"]
    date_hierarchy = "at"
    ordering = ["-at", "-pk"]
    show_full_result_count = False

    @admin.display(description=_("order number"))
    def order_number(self, attempt: VoucherAttempt) -> str:
        return attempt.voucher.order.number if attempt.voucher else ""
