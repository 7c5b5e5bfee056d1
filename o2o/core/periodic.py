"""Periodic jobs: each app registers its tasks; `o2o scheduler` (or `o2o serve`) enqueues them."""

import logging
import threading
import time
from dataclasses import dataclass

from django.db import close_old_connections

logger = logging.getLogger("o2o.periodic")


@dataclass
class PeriodicJob:
    name: str
    task: object  # a django-tasks Task
    every_seconds: int
    last_run: float = 0.0


_jobs: dict[str, PeriodicJob] = {}


def register(name: str, task: object, *, every_seconds: int) -> None:
    _jobs[name] = PeriodicJob(name, task, every_seconds)


def run_due(now: float | None = None) -> list[str]:
    """Enqueue every job whose interval has passed; returns their names."""
    now = now if now is not None else time.monotonic()
    ran = []
    for job in _jobs.values():
        if now - job.last_run >= job.every_seconds:
            job.last_run = now
            try:
                job.task.enqueue()
                ran.append(job.name)
            except Exception:
                logger.exception("periodic job %s failed", job.name)
    return ran


def run_forever(*, tick_seconds: float = 5.0, stop: threading.Event | None = None) -> None:
    stop = stop or threading.Event()
    while not stop.is_set():
        run_due()
        close_old_connections()
        stop.wait(tick_seconds)


def start_in_background() -> threading.Thread:
    thread = threading.Thread(target=run_forever, name="o2o-periodic", daemon=True)
    thread.start()
    return thread
