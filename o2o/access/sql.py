"""The token statement on every signed-in API request's path, as SQL (o2o/core/sql.py says why)."""

from datetime import datetime
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser

from o2o.core.sql import columns_of, fetch_joined, moment
from o2o.members.models import Member
from o2o.staff.models import Employee
from o2o.stores.models import Location

User = get_user_model()
_USERS = User._meta.db_table


class TokenOwner(NamedTuple):
    """A staff user (with their active employee record, if any) or a member: one of the two is None."""

    user: AbstractBaseUser | None
    employee: Employee | None
    member: Member | None


# A token has exactly one owner (the `apitoken_one_owner` check), so one side of the joins finds
# nothing; a user has at most one employee record (a one-to-one key).
_TOKEN_OWNER = f"""
SELECT {columns_of(User, _USERS)}, {columns_of(Employee, "staff_employee")},
       {columns_of(Location, "stores_location")}, {columns_of(Member, "members_member")}
FROM access_apitoken
LEFT JOIN {_USERS} ON {_USERS}.id = access_apitoken.user_id
LEFT JOIN staff_employee ON staff_employee.user_id = {_USERS}.id AND staff_employee.is_active = %s
LEFT JOIN stores_location ON stores_location.id = staff_employee.home_location_id
LEFT JOIN members_member ON members_member.id = access_apitoken.member_id
WHERE access_apitoken.key_hash = %s AND access_apitoken.expires_at > %s
"""


def token_owner(*, key_hash: str, now: datetime) -> TokenOwner | None:
    """Who holds the token with this hash, if it has not expired by `now`; None for no such token.

    One statement, as `ApiToken.objects.select_related("user", "member")` and then
    `staff.selectors.employee_for_user` (the active employee with their home location) read them."""
    found = fetch_joined([User, Employee, Location, Member], _TOKEN_OWNER, [True, key_hash, moment(now)])
    for user, employee, home_location, member in found:
        if employee is not None:
            employee.home_location = home_location
        return TokenOwner(user, employee, member)
    return None
