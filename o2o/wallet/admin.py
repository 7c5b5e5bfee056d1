"""Back office: wallets, their ledger, top-ups and tiers, read-only (money moves only through the
wallet services and pages). Payment codes are not shown at all (only their hashes exist); a
top-up's gateway reference is a bearer of its pay link and is shown masked."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from o2o.core.backoffice import ReadOnlyAdmin, ReadOnlyInline
from o2o.core.redaction import mask_tail
from o2o.wallet.models import TopUp, TopUpTier, Wallet, WalletEntry


class EntryInline(ReadOnlyInline):
    model = WalletEntry
    fk_name = "wallet"
    fields = ["created_at", "kind", "principal_delta", "bonus_delta", "reference", "location", "actor", "note"]
    readonly_fields = ["created_at"]
    ordering = ["-created_at", "-pk"]
    max_num = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("location", "actor")


@admin.register(Wallet)
class WalletAdmin(ReadOnlyAdmin):
    list_display = ["member", "principal", "bonus", "frozen_at", "freeze_reason", "created_at"]
    list_filter = [("frozen_at", admin.EmptyFieldListFilter)]
    list_select_related = ["member"]
    search_fields = ["=member__phone"]
    ordering = ["-pk"]
    show_full_result_count = False
    inlines = [EntryInline]


@admin.register(WalletEntry)
class WalletEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "wallet", "kind", "principal_delta", "bonus_delta", "reference", "location"]
    list_filter = ["kind"]
    list_select_related = ["wallet", "location"]
    search_fields = ["=reference", "=wallet__member__phone"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-pk"]
    show_full_result_count = False


@admin.register(TopUp)
class TopUpAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "member", "amount", "bonus", "method", "state", "location", "succeeded_at"]
    list_filter = ["state", "method"]
    list_select_related = ["member", "location"]
    search_fields = ["=member__phone", "=gateway_txn_id"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-pk"]
    show_full_result_count = False
    exclude = ["gateway_ref"]
    readonly_fields = ["masked_gateway_ref", "created_at"]

    @admin.display(description=_("gateway reference"))
    def masked_gateway_ref(self, top_up: TopUp) -> str:
        return mask_tail(top_up.gateway_ref)


@admin.register(TopUpTier)
class TopUpTierAdmin(ReadOnlyAdmin):
    list_display = ["pay_amount", "bonus_amount", "active", "valid_from", "valid_until", "created_at"]
    list_filter = ["active"]
    ordering = ["pay_amount"]
