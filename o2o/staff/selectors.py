from django.db.models import QuerySet

from o2o.staff.models import CHAIN_WIDE_ROLES, Employee
from o2o.stores.models import Location


def employee_for_user(user_id: int) -> Employee | None:
    # A bearer token's request reads the same in its own statement (access.sql.token_owner): a
    # change of who counts as the user's employee changes it there too.
    return Employee.objects.filter(user_id=user_id, is_active=True).select_related("home_location").first()


def employee_by_code(code: str) -> Employee | None:
    return Employee.objects.filter(code=code, is_active=True).first()


def location_scope(employee: Employee) -> frozenset[int] | None:
    """The locations whose data the employee works on; None means every location."""
    if employee.role in CHAIN_WIDE_ROLES:
        return None
    if employee.region_id is not None:
        return frozenset(Location.objects.filter(region_id=employee.region_id).values_list("pk", flat=True))
    return frozenset({employee.home_location_id}) if employee.home_location_id else frozenset()


def employees_at(*, location_ids: frozenset[int] | None) -> QuerySet[Employee]:
    employees = Employee.objects.select_related("user", "home_location").order_by("pk")
    return employees if location_ids is None else employees.filter(home_location_id__in=location_ids)
