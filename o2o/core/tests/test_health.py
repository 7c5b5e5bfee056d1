"""Health endpoints for a load balancer, and the stale-scheduler warning on the HQ dashboard."""

from datetime import timedelta
from unittest import mock

import pytest
from django.db import OperationalError
from django.test import Client
from django.utils import timezone

from o2o.core import periodic
from o2o.staff.models import Role
from o2o.testing.factories import EmployeeFactory

pytestmark = pytest.mark.django_db


def test_liveness_answers_without_the_database(django_assert_num_queries):
    with django_assert_num_queries(0):
        response = Client().get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_liveness_answers_while_the_database_is_down():
    with mock.patch("django.db.backends.base.base.BaseDatabaseWrapper.cursor", side_effect=OperationalError):
        response = Client().get("/healthz")

    assert response.status_code == 200


def test_readiness_is_ok_with_the_database_migrations_and_a_fresh_scheduler():
    periodic.beat(by="host-a:1")

    response = Client().get("/readyz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["migrations"] == {"ok": True}
    assert body["checks"]["scheduler"]["ok"] is True
    assert body["checks"]["scheduler"]["age_seconds"] == 0
    assert response["Cache-Control"].startswith("max-age=0")


def test_readiness_reports_a_stale_scheduler_without_taking_the_web_node_out():
    periodic.beat(timezone.now() - timedelta(minutes=10), by="host-a:1")

    response = Client().get("/readyz")

    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["checks"]["scheduler"]["ok"] is False


def test_readiness_fails_on_a_stale_scheduler_when_required(settings):
    settings.O2O_READINESS_REQUIRES_SCHEDULER = True

    response = Client().get("/readyz")  # no scheduler has ever run

    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["checks"]["scheduler"] == {"ok": False, "last_heartbeat": None, "age_seconds": None}


def test_readiness_is_503_while_the_database_is_unreachable():
    lost = OperationalError("connection refused")
    with mock.patch("django.db.backends.base.base.BaseDatabaseWrapper.cursor", side_effect=lost):
        response = Client().get("/readyz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": {"ok": False, "error": "OperationalError"}},
    }


def test_readiness_is_503_while_migrations_are_pending(monkeypatch):
    from o2o.core import health

    monkeypatch.setattr(health, "_migrations_applied", False)
    plan = [("core", "9999_not_yet")]
    with mock.patch("django.db.migrations.executor.MigrationExecutor.migration_plan", return_value=plan):
        response = Client().get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["migrations"] == {"ok": False, "pending": 1}


def _hq_page() -> str:
    client = Client()
    client.force_login(EmployeeFactory(role=Role.HQ, home_location=None).user)
    client.cookies["django_language"] = "en"
    response = client.get("/hq/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_hq_dashboard_warns_when_no_scheduler_runs():
    assert "No scheduler has run yet" in _hq_page()

    periodic.beat(timezone.now() - timedelta(hours=1), by="host-a:1")
    assert "The scheduler has not run since" in _hq_page()

    periodic.beat(by="host-a:1")
    assert 'id="scheduler-warning"' not in _hq_page()
