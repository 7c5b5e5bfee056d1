"""A test client that speaks to the API as a signed-in staff member or customer."""

import json
from typing import Any

from django.test import Client

from o2o.access.services import issue_token


class ApiClient:
    def __init__(self, *, user=None, member=None) -> None:
        self.client = Client()
        self.headers: dict[str, str] = {}
        if user is not None or member is not None:
            self.headers["Authorization"] = f"Bearer {issue_token(user=user, member=member)}"

    def _call(self, method: str, path: str, body: Any = None, headers: dict | None = None, **params):
        url = path if path.startswith("/") else f"/api/v1/{path}"
        all_headers = {**self.headers, **(headers or {})}
        if method == "get":
            return self.client.get(url, params, headers=all_headers)
        data = body if isinstance(body, bytes | str) else json.dumps(body if body is not None else {})
        return getattr(self.client, method)(url, data, content_type="application/json", headers=all_headers)

    def get(self, path: str, **params):
        return self._call("get", path, **params)

    def post(self, path: str, body: Any = None, headers: dict | None = None):
        return self._call("post", path, body, headers)


def as_staff(employee) -> ApiClient:
    return ApiClient(user=employee.user)


def as_member(member) -> ApiClient:
    return ApiClient(member=member)


def problem_code(response) -> str:
    assert response["Content-Type"] == "application/problem+json", response.content
    return response.json()["code"]
