"""When the database or the code fails: the API answers problem+json (503 with Retry-After for a
lost database connection, 500 with a request id otherwise), pages get the 500 page, and every
request carries an X-Request-ID that the log lines repeat."""

import logging
import os
import re
import subprocess
import sys
from unittest import mock

import pytest
from django.db import InterfaceError, OperationalError
from django.test import Client

from o2o.core.middleware import RequestIdLogFilter
from o2o.testing.api import ApiClient, problem_code

pytestmark = pytest.mark.django_db

LOST = OperationalError("server closed the connection unexpectedly")


def _client() -> ApiClient:
    """A client that shows what a real caller gets (the test client re-raises server errors)."""
    client = ApiClient()
    client.client.raise_request_exception = False
    return client


@pytest.fixture
def logs(caplog):
    caplog.handler.addFilter(RequestIdLogFilter())
    caplog.set_level(logging.INFO)
    return caplog


@pytest.mark.parametrize("error", [LOST, InterfaceError("connection already closed")])
def test_a_lost_database_connection_is_a_503_problem_with_retry_after(error, logs):
    with mock.patch("o2o.api.catalog.selectors.categories", side_effect=error):
        response = _client().get("catalog/categories")

    assert response.status_code == 503
    assert problem_code(response) == "service_unavailable"
    assert response["Retry-After"] == "10"
    assert response.json()["request_id"] == response["X-Request-ID"]
    logged = [r for r in logs.records if r.name == "o2o.api" and r.levelno == logging.ERROR]
    assert len(logged) == 1 and logged[0].exc_info is not None
    assert logged[0].request_id == response["X-Request-ID"]


def test_an_unexpected_error_under_the_api_is_a_500_problem_with_the_request_id(logs):
    with mock.patch("o2o.api.catalog.selectors.categories", side_effect=RuntimeError("bug")):
        response = _client().get("catalog/categories")

    assert response.status_code == 500
    assert problem_code(response) == "server_error"
    body = response.json()
    assert body["request_id"] == response["X-Request-ID"]
    assert "bug" not in body["detail"]  # no internals leak to the client
    logged = [r for r in logs.records if r.name == "o2o.api" and r.levelno == logging.ERROR]
    assert [r.exc_info[0] for r in logged] == [RuntimeError]
    # logged once, with the traceback, not again by django.request
    assert [r for r in logs.records if r.name == "django.request"] == []


def test_a_failure_outside_the_api_views_still_answers_problem_json_under_api():
    client = Client(raise_request_exception=False)
    with mock.patch("o2o.api.middleware.ApiProblemMiddleware.__call__", side_effect=LOST):
        response = client.get("/api/v1/catalog/categories")

    assert response.status_code == 503
    assert problem_code(response) == "service_unavailable"
    assert response["Retry-After"] == "10"


def test_a_page_that_fails_gets_the_500_page_without_touching_the_database(django_assert_num_queries):
    client = Client(raise_request_exception=False)
    client.cookies["django_language"] = "en"
    failing = mock.patch("django.contrib.messages.middleware.MessageMiddleware.process_request", side_effect=KeyError)
    with failing, django_assert_num_queries(0):
        response = client.get("/shop/")

    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong" in html
    assert response["X-Request-ID"] in html
    assert response["Content-Type"].startswith("text/html")


def test_a_page_while_the_database_is_away_is_a_503_page():
    client = Client(raise_request_exception=False)
    client.cookies["django_language"] = "en"
    with mock.patch("django.contrib.messages.middleware.MessageMiddleware.process_request", side_effect=LOST):
        response = client.get("/shop/")

    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    assert "Temporarily unavailable" in response.content.decode()
    assert response["X-Request-ID"] in response.content.decode()


def test_every_response_carries_a_request_id_and_one_access_log_line(logs):
    response = ApiClient().get("catalog/categories", headers={"X-Request-ID": "lb-7f3a9c2e-0001"})

    assert response.status_code == 200
    assert response["X-Request-ID"] == "lb-7f3a9c2e-0001"
    lines = [r for r in logs.records if r.name == "o2o.request"]
    assert len(lines) == 1
    assert lines[0].levelno == logging.INFO
    assert lines[0].getMessage().startswith("GET /api/v1/catalog/categories 200 ")
    assert lines[0].getMessage().endswith("ms")
    assert lines[0].request_id == "lb-7f3a9c2e-0001"


@pytest.mark.parametrize("incoming", ["short", "x" * 65, "bad id\nFAKE LOG LINE", "id;drop"])
def test_an_insane_incoming_request_id_is_replaced(incoming):
    response = ApiClient().get("catalog/categories", headers={"X-Request-ID": incoming})

    assert response["X-Request-ID"] != incoming
    assert len(response["X-Request-ID"]) == 32


def test_a_body_over_the_upload_limit_is_a_400_problem_not_a_500(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100

    response = ApiClient().post("auth/otp", {"phone": "13800138000", "padding": "x" * 500})

    assert response.status_code == 400
    assert problem_code(response) == "invalid"


def test_the_test_client_still_sees_the_exception_behind_a_500_problem():
    with (
        mock.patch("o2o.api.catalog.selectors.categories", side_effect=RuntimeError("bug")),
        pytest.raises(RuntimeError),
    ):
        ApiClient().get("catalog/categories")


CLOSED_PORT_SCRIPT = """
import django
django.setup()
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()
client = Client(raise_request_exception=False)
for path in ("/api/v1/catalog/categories", "/api/v1/catalog/skus", "/shop/", "/readyz", "/healthz"):
    response = client.get(path)
    print(path, response.status_code, response.get("Retry-After"), response["Content-Type"].split(";")[0])
"""


def test_with_the_database_unreachable_the_api_answers_503_and_liveness_still_200():
    # A real connection error, not a stand-in: the database is a closed port.
    environ = {
        **os.environ,
        "DATABASE_URL": "postgres://postgres@127.0.0.1:1/o2o",
        "DJANGO_SETTINGS_MODULE": "o2o.settings",
    }
    result = subprocess.run(
        [sys.executable, "-c", CLOSED_PORT_SCRIPT], env=environ, capture_output=True, text=True, timeout=120
    )

    assert result.returncode == 0, result.stderr
    answers = [line for line in result.stdout.splitlines() if line.startswith("/")]
    assert answers == [
        "/api/v1/catalog/categories 503 10 application/problem+json",
        "/api/v1/catalog/skus 503 10 application/problem+json",
        "/shop/ 503 10 text/html",
        "/readyz 503 None application/json",
        "/healthz 200 None application/json",
    ]
    # Every 5xx is logged to stdout with its request id and the traceback.
    logged = re.findall(r"ERROR (o2o.api|django.request) \[([0-9a-f]{32})\] ", result.stdout)
    assert [name for name, _ in logged] == ["o2o.api", "o2o.api", "django.request", "django.request"]
    assert "Traceback (most recent call last)" in result.stdout


def test_an_unknown_page_gets_the_404_page_and_an_unknown_api_path_a_problem():
    client = Client()
    client.cookies["django_language"] = "en"

    page = client.get("/no-such-page/")
    api = client.get("/api/v1/no-such-endpoint")

    assert page.status_code == 404
    assert "Page not found" in page.content.decode()
    assert api.status_code == 404
    assert problem_code(api) == "not_found"
