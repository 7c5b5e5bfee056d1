"""Building blocks of the back office (the Django admin): read-only screens and masks for secrets.

A write that must go through a service (stock, orders, payments, vouchers) is never made from the
admin: those screens are read-only for everyone, superusers included. A secret (a code a customer
shows, a token, a signature) is shown masked or not at all.
"""

import re
from typing import Any

from django.contrib import admin
from django.http import HttpRequest

MASK = "••••"
# Keys of a gateway payload (or any JSON we keep) whose values prove or grant something.
_SECRET_KEY = re.compile(r"sign|secret|token|password|passwd|key|otp", re.IGNORECASE)


def mask_tail(value: str | None, *, keep: int = 4) -> str:
    """All but the last `keep` characters hidden: enough to tell two values apart, not to use one."""
    if not value:
        return ""
    return MASK + value[-keep:] if len(value) > keep else MASK


def mask_secrets(data: Any) -> Any:
    """A copy of JSON data with the value of every secret-looking key masked, at any depth."""
    if isinstance(data, dict):
        return {k: MASK if _SECRET_KEY.search(str(k)) else mask_secrets(v) for k, v in data.items()}
    if isinstance(data, list):
        return [mask_secrets(v) for v in data]
    return data


class ReadOnlyAdmin(admin.ModelAdmin):
    """A screen to look, search and filter; the change happens through a service, never here."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
