"""Queueing a task for a transaction's rows: it runs only if the transaction commits."""

from functools import partial
from typing import Any

from django.db import transaction
from django_tasks.base import Task
from django_tasks_db import DatabaseBackend


def enqueue_on_commit(task: Task, **kwargs: Any) -> None:
    """Queue `task(**kwargs)` to run once the caller's transaction commits, never for one that rolls back.

    A backend that keeps its queue in this database gets the task's row inside the caller's
    transaction: the row commits or rolls back with the caller's rows, and no second transaction
    follows the commit (a COMMIT and a WAL flush fewer per paid order). The worker cannot see the
    row before the commit. Any other backend (the immediate one of development and tests, a
    broker) is called after the commit, as `transaction.on_commit` calls it."""
    if isinstance(task.get_backend(), DatabaseBackend):
        task.enqueue(**kwargs)
    else:
        transaction.on_commit(partial(task.enqueue, **kwargs))
