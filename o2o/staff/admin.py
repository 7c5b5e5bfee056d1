"""Back office: employees, read-only (a hire or a role change also moves the user's group and
back-office access, so it belongs to a service, not to a form)."""

from django.contrib import admin

from o2o.core.backoffice import ReadOnlyAdmin
from o2o.staff.models import Employee


@admin.register(Employee)
class EmployeeAdmin(ReadOnlyAdmin):
    list_display = ["display_name", "code", "role", "home_location", "region", "user", "is_active"]
    list_filter = ["role", "is_active", "home_location__region"]
    list_select_related = ["home_location", "region", "user"]
    search_fields = ["display_name", "=code", "user__username", "home_location__code", "home_location__name"]
    show_full_result_count = False
