from django.http import HttpRequest
from ninja import Router, Schema

from o2o.api.auth import actor
from o2o.staff.selectors import employees_at

router = Router(tags=["staff"])


class EmployeeOut(Schema):
    id: int
    username: str
    display_name: str
    role: str
    code: str
    home_location_id: int | None

    @staticmethod
    def resolve_username(employee) -> str:
        return employee.user.username


class MeOut(Schema):
    username: str
    employee: EmployeeOut | None
    location_ids: list[int] | None


@router.get("/me", response=MeOut)
def me(request: HttpRequest):
    who = actor(request)
    who.require_staff()
    locations = None if who.location_ids is None else sorted(who.location_ids)
    return {"username": who.user.get_username(), "employee": who.employee, "location_ids": locations}


@router.get("/employees", response=list[EmployeeOut])
def employees(request: HttpRequest):
    who = actor(request)
    who.require_staff()
    return employees_at(location_ids=who.location_ids)
