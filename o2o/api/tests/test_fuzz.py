"""Fuzz every API operation with schemathesis: bad input is a 4xx problem+json, never a 500."""

import traceback
from decimal import Decimal

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import got_request_exception, request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from o2o.access.services import issue_token
from o2o.api.main import api
from o2o.inventory.services import receive_stock
from o2o.testing.api import as_member
from o2o.testing.factories import SKUFactory

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


class InProcessDjango:
    """Django's WSGI handler, run inside the test's transaction and keeping the server's tracebacks.

    Django closes the connection at the start and end of each request; the test client turns that off
    so the data of the test stays visible, and so does this."""

    def __init__(self) -> None:
        self.handler = WSGIHandler()
        self.errors: list[str] = []

    def _record(self, sender, request=None, **kwargs) -> None:
        self.errors.append(traceback.format_exc())

    def __call__(self, environ, start_response):
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        got_request_exception.connect(self._record)
        try:
            response = self.handler(environ, start_response)
            try:
                return [b"".join(response)]
            finally:
                response.close()
        finally:
            got_request_exception.disconnect(self._record)
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)


APP = InProcessDjango()
schema = schemathesis.openapi.from_dict(api.get_openapi_schema())


@pytest.fixture
def seed(store, other_store, clerk, member):
    sku = SKUFactory(price=Decimal("8.00"))
    receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=50, actor_id=None)
    order = as_member(member).post(
        "orders",
        {"channel": "app", "fulfilment": "pickup", "location_id": store.pk, "lines": [{"sku_id": sku.pk, "quantity": 1}]},
    )
    assert order.status_code == 201, order.content
    return {
        "anonymous": {},
        "member": {"Authorization": f"Bearer {issue_token(member=member)}"},
        "clerk": {"Authorization": f"Bearer {issue_token(user=clerk.user)}"},
    }


@pytest.mark.parametrize("role", ["anonymous", "member", "clerk"])
@schema.parametrize()
@settings(
    max_examples=20,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_bad_input_is_never_a_server_error(case, role, seed):
    APP.errors.clear()
    response = case.call(app=APP, headers=seed[role] or None)
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} -> {response.status_code}\n"
        f"{case.as_curl_command(headers=seed[role] or None)}\n{''.join(APP.errors)}"
    )
    if 400 <= response.status_code < 500:
        assert response.headers.get("content-type", [""])[0].startswith(PROBLEM), (
            f"{case.method} {case.formatted_path} -> {response.status_code} {response.headers}\n"
            f"{case.as_curl_command(headers=seed[role] or None)}\n{response.text[:300]}"
        )
