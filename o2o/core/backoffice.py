"""Building blocks of the back office (the Django admin): read-only screens.

A write that must go through a service (stock, orders, payments, vouchers) is never made from the
admin: those screens are read-only for everyone, superusers included. A secret (a code a customer
shows, a token, a signature) is shown masked (o2o.core.redaction) or not at all.
"""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest


class _NoWrites:
    """Refuses add, change and delete to everyone, superusers included."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyAdmin(_NoWrites, admin.ModelAdmin):
    """A screen to look, search and filter; the change happens through a service, never here."""


class ReadOnlyInline(_NoWrites, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False
