from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from o2o.core.models import OutboxMessage, PeriodicJobRun, SchedulerHeartbeat


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """What left (or failed to leave) the process: read-only, and never the one-time code; the
    body shows "{secret}" where the code went."""

    list_display = ["created_at", "channel", "recipient", "state", "attempts", "next_attempt_at", "short_error"]
    list_filter = ["state", "channel"]
    search_fields = ["recipient"]
    date_hierarchy = "created_at"
    fields = [
        "channel",
        "recipient",
        "subject",
        "body",
        "state",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created_at",
        "sent_at",
        "failed_at",
    ]
    readonly_fields = fields

    @admin.display(description=_("last error"))
    def short_error(self, message: OutboxMessage) -> str:
        return message.last_error[:80]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PeriodicJobRun)
class PeriodicJobRunAdmin(admin.ModelAdmin):
    list_display = ["name", "every_seconds", "last_run_at", "next_run_at", "last_run_by", "runs", "last_error"]
    readonly_fields = ["name", "every_seconds", "last_run_at", "next_run_at", "last_run_by", "runs", "last_error"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SchedulerHeartbeat)
class SchedulerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["scheduler", "beat_at"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
