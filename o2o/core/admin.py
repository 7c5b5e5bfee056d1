from django.contrib import admin

from o2o.core.models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "channel", "recipient", "state"]
    list_filter = ["state", "channel"]
