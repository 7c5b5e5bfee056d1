"""Periodic jobs: each app registers its tasks; `o2o scheduler` (or `o2o serve`) enqueues them.

The schedule lives in the database (PeriodicJobRun), so it survives a restart and is shared by
every scheduler: a scheduler claims a due job with one conditional UPDATE
(`SET next_run_at = now + every WHERE name = ... AND next_run_at <= now`) and only the one whose
UPDATE changed the row enqueues it. Each tick also writes the scheduler's heartbeat."""

import logging
import os
import socket
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import close_old_connections
from django.db.models import F, Max
from django.utils import timezone

from o2o.core.models import PeriodicJobRun, SchedulerHeartbeat

logger = logging.getLogger("o2o.periodic")


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    task: object  # a django-tasks Task
    every_seconds: int


_jobs: dict[str, PeriodicJob] = {}


def register(name: str, task: object, *, every_seconds: int) -> None:
    _jobs[name] = PeriodicJob(name, task, every_seconds)


def scheduler_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _ensure_rows(now: datetime) -> None:
    """A job seen for the first time is due at once; a known one keeps its schedule. (Looked up
    first: an INSERT ... ON CONFLICT every tick would burn a sequence value per job.)"""
    known = set(PeriodicJobRun.objects.filter(name__in=_jobs).values_list("name", flat=True))
    if new := [j for j in _jobs.values() if j.name not in known]:
        PeriodicJobRun.objects.bulk_create(
            [PeriodicJobRun(name=j.name, every_seconds=j.every_seconds, next_run_at=now) for j in new],
            ignore_conflicts=True,  # another scheduler may be creating the same row right now
        )


def _claim(job: PeriodicJob, now: datetime, by: str) -> bool:
    return bool(
        PeriodicJobRun.objects.filter(name=job.name, next_run_at__lte=now).update(
            next_run_at=now + timedelta(seconds=job.every_seconds),
            every_seconds=job.every_seconds,
            last_run_at=now,
            last_run_by=by,
            runs=F("runs") + 1,
        )
    )


def run_due(now: datetime | None = None, *, by: str | None = None) -> list[str]:
    """Enqueue every job that is due and that this scheduler claimed; returns their names."""
    now = now or timezone.now()
    by = by or scheduler_name()
    _ensure_rows(now)
    ran = []
    for job in _jobs.values():
        if not _claim(job, now, by):
            continue
        try:
            job.task.enqueue()
        except Exception as exc:
            logger.exception("periodic job %s failed", job.name)
            PeriodicJobRun.objects.filter(name=job.name).update(last_error=f"{type(exc).__name__}: {exc}"[:2000])
        else:
            PeriodicJobRun.objects.filter(name=job.name).exclude(last_error="").update(last_error="")
            ran.append(job.name)
    beat(now, by=by)
    return ran


def beat(now: datetime | None = None, *, by: str | None = None) -> None:
    """This scheduler is alive (one upsert), and heartbeats of long-gone schedulers are dropped."""
    now = now or timezone.now()
    by = by or scheduler_name()
    if not SchedulerHeartbeat.objects.filter(scheduler=by).update(beat_at=now):
        SchedulerHeartbeat.objects.bulk_create(
            [SchedulerHeartbeat(scheduler=by, beat_at=now)],
            update_conflicts=True,
            unique_fields=["scheduler"],
            update_fields=["beat_at"],
        )
    SchedulerHeartbeat.objects.filter(beat_at__lt=now - timedelta(days=1)).delete()


def last_heartbeat() -> datetime | None:
    return SchedulerHeartbeat.objects.aggregate(last=Max("beat_at"))["last"]


def scheduler_is_stale(now: datetime | None = None) -> bool:
    """No scheduler has beaten within O2O_SCHEDULER_STALE_SECONDS (or none ever has)."""
    return heartbeat_is_stale(last_heartbeat(), now)


def heartbeat_is_stale(last: datetime | None, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return last is None or now - last > timedelta(seconds=settings.O2O_SCHEDULER_STALE_SECONDS)


def run_forever(*, tick_seconds: float = 5.0, stop: threading.Event | None = None) -> None:
    stop = stop or threading.Event()
    by = scheduler_name()
    while not stop.is_set():
        try:
            run_due(by=by)
        except Exception:
            # The database is away (restart, failover): keep ticking, the next tick catches up.
            logger.exception("scheduler tick failed")
        close_old_connections()
        stop.wait(tick_seconds)


def start_in_background() -> threading.Thread:
    thread = threading.Thread(target=run_forever, name="o2o-periodic", daemon=True)
    thread.start()
    return thread
