"""A tampered pagination cursor is a 400 problem+json on every list endpoint, never a 500."""

import re
from base64 import b64encode

import pytest

from o2o.api.main import api
from o2o.staff.models import Employee, Role
from o2o.testing.api import ApiClient, as_member, as_staff, problem_code
from o2o.testing.factories import EmployeeFactory, SKUFactory

pytestmark = pytest.mark.django_db


def _b64(text: bytes) -> str:
    return b64encode(text).decode("ascii")


TAMPERED_CURSORS = [
    "not base64!",
    "中文",
    _b64(b"p=abc"),  # a position of the wrong type for an id ordering
    _b64(b"p=99999999999999999999999"),  # beyond a 64-bit id
    _b64(b"p=1&o=-1"),  # negative offset
    _b64(b"p=1&o=100000000"),  # offset beyond the limit
    _b64(b"p=1&r=maybe"),  # direction that is not a boolean
    _b64(b"\xff\xfe\x00"),  # not text
    "cD0",  # cut short (bad padding)
]


def _paginated_list_paths() -> list[str]:
    """Every GET operation of the API that takes a cursor (so one added later is covered too)."""
    schema = api.get_openapi_schema()
    return sorted(
        path
        for path, operations in schema["paths"].items()
        if any(p["name"] == "cursor" for p in operations.get("get", {}).get("parameters", []))
    )


@pytest.fixture
def callers(store, member):
    hq = EmployeeFactory(role=Role.HQ, home_location=store)
    manager = EmployeeFactory(role=Role.STORE_MANAGER, home_location=store)  # a store's escalated tickets
    return [as_staff(hq), as_staff(manager), as_member(member), ApiClient()]


def _url(path: str, store) -> str:
    # an employee's list needs an employee of the store (ids of other tables differ on PostgreSQL)
    employee = Employee.objects.filter(home_location=store).order_by("pk").first()
    path = path.replace("{employee_id}", str(employee.pk)) if employee else path
    return re.sub(r"\{[a-z_]*id\}", str(store.pk), path)


def _caller_for(url: str, callers) -> ApiClient:
    """Whoever may read this list (HQ staff, a member, or anyone)."""
    for caller in callers:
        if caller.get(url).status_code == 200:
            return caller
    raise AssertionError(f"nobody may read {url}")


def test_every_list_endpoint_is_paginated_with_the_project_cursor():
    paths = _paginated_list_paths()

    assert {
        "/api/v1/catalog/skus",
        "/api/v1/inventory/locations/{location_id}/stock",
        "/api/v1/members/me/orders",
        "/api/v1/orders",
    } <= set(paths)


@pytest.mark.parametrize("cursor", TAMPERED_CURSORS)
def test_a_tampered_cursor_is_a_400_problem_on_every_list(cursor, callers, store):
    for path in _paginated_list_paths():
        url = _url(path, store)
        caller = _caller_for(url, callers)

        response = caller.get(url, cursor=cursor)

        assert response.status_code == 400, (url, cursor, response.content)
        assert problem_code(response) == "invalid_cursor"


def test_the_cursor_the_api_hands_out_still_works():
    SKUFactory.create_batch(3)
    client = ApiClient()
    first = client.get("catalog/skus", page_size=2).json()

    second = client.client.get(first["next"])  # an absolute URL, as handed out

    assert second.status_code == 200
    assert len(first["results"]) == 2 and len(second.json()["results"]) == 1
    assert {s["id"] for s in first["results"]}.isdisjoint({s["id"] for s in second.json()["results"]})
