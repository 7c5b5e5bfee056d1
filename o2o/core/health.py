"""Health endpoints for a load balancer or orchestrator (JSON, no sign-in, never cached).

/healthz  liveness: the process answers; touches nothing else (a database outage must not get
          healthy web processes killed).
/readyz   readiness: the database answers, every migration is applied, and the scheduler's
          heartbeat is fresh. 503 when the database or the migrations are not ready; a stale
          scheduler is reported, and fails readiness only with O2O_READINESS_REQUIRES_SCHEDULER
          (web processes serve fine without it, but unpaid orders stop expiring)."""

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from o2o.core import periodic

_migrations_applied = False  # once true, true for the life of the process (the code cannot change)


@never_cache
@require_GET
def liveness(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def _database() -> dict:
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True}


def _migrations() -> dict:
    global _migrations_applied
    if not _migrations_applied:
        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if pending:
            return {"ok": False, "pending": len(pending)}
        _migrations_applied = True
    return {"ok": True}


def _scheduler() -> dict:
    last = periodic.last_heartbeat()
    age = None if last is None else round((timezone.now() - last).total_seconds())
    return {"ok": not periodic.heartbeat_is_stale(last), "last_heartbeat": last, "age_seconds": age}


@never_cache
@require_GET
def readiness(request: HttpRequest) -> JsonResponse:
    checks = {"database": _database()}
    if checks["database"]["ok"]:
        try:
            checks["migrations"] = _migrations()
            checks["scheduler"] = _scheduler()
        except DatabaseError as exc:
            checks["database"] = {"ok": False, "error": type(exc).__name__}
    required = ["database", "migrations"] + (["scheduler"] if settings.O2O_READINESS_REQUIRES_SCHEDULER else [])
    ready = all(checks.get(name, {"ok": False})["ok"] for name in required)
    status = "ok" if ready and all(c["ok"] for c in checks.values()) else ("degraded" if ready else "unavailable")
    return JsonResponse({"status": status, "checks": checks}, status=200 if ready else 503)
