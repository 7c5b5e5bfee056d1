import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from o2o.access.actors import SYSTEM
from o2o.core import periodic
from o2o.core.models import PeriodicJobRun
from o2o.inventory.services import receive_stock
from o2o.orders.models import Order
from o2o.testing.factories import SKUFactory
from o2o.testing.journeys import place_pickup_order
from o2o.testing.races import requires_postgres, run_together

pytestmark = pytest.mark.django_db


def test_the_scheduler_expires_overdue_unpaid_orders(store, member):
    sku = SKUFactory()
    receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=3, actor=SYSTEM)
    order = place_pickup_order(member=member, store=store, sku=sku)
    Order.objects.filter(pk=order.pk).update(payment_deadline=timezone.now() - timedelta(seconds=1))

    ran = periodic.run_due()  # a fresh database: every job is due at once

    assert "expire_unpaid_orders" in ran
    order.refresh_from_db()
    assert order.state == "cancelled"
    assert store.stock_levels.get().reserved == 0


class CountingTask:
    """Stands in for a django-tasks Task: counts how often the scheduler enqueued it."""

    def __init__(self, *, fail: bool = False) -> None:
        self.enqueued = 0
        self.fail = fail
        self._lock = threading.Lock()

    def enqueue(self) -> None:
        if self.fail:
            raise ConnectionError("task queue unreachable")
        with self._lock:
            self.enqueued += 1


@pytest.fixture
def tick(monkeypatch):
    """Only one job, `tick`, every 60 seconds (the apps' real jobs stay out of these tests)."""
    monkeypatch.setattr(periodic, "_jobs", {})
    task = CountingTask()
    periodic.register("tick", task, every_seconds=60)
    return task


T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def test_a_job_runs_when_due_and_not_again_before_its_interval(tick):
    assert periodic.run_due(T0) == ["tick"]
    assert periodic.run_due(T0 + timedelta(seconds=59)) == []
    assert periodic.run_due(T0 + timedelta(seconds=60)) == ["tick"]

    assert tick.enqueued == 2
    row = PeriodicJobRun.objects.get(name="tick")
    assert (row.runs, row.last_run_at, row.next_run_at) == (2, T0 + timedelta(seconds=60), T0 + timedelta(seconds=120))


def test_a_restarted_scheduler_keeps_the_schedule(tick, monkeypatch):
    periodic.run_due(T0, by="host-a:100")
    # The process dies; a new one starts with nothing in memory but the registrations.
    monkeypatch.setattr(periodic, "_jobs", {})
    after_restart = CountingTask()
    periodic.register("tick", after_restart, every_seconds=60)

    assert periodic.run_due(T0 + timedelta(seconds=5), by="host-a:200") == []
    assert periodic.run_due(T0 + timedelta(seconds=61), by="host-a:200") == ["tick"]
    assert (tick.enqueued, after_restart.enqueued) == (1, 1)
    assert PeriodicJobRun.objects.get(name="tick").last_run_by == "host-a:200"


def test_a_job_that_cannot_be_enqueued_is_recorded_and_the_others_still_run(tick):
    periodic.register("broken", CountingTask(fail=True), every_seconds=60)

    ran = periodic.run_due(T0)

    assert ran == ["tick"]
    assert PeriodicJobRun.objects.get(name="broken").last_error == "ConnectionError: task queue unreachable"


def test_each_tick_is_a_heartbeat_and_a_silent_scheduler_goes_stale(tick, settings):
    settings.O2O_SCHEDULER_STALE_SECONDS = 120
    assert periodic.scheduler_is_stale(now=T0)  # none has ever run

    periodic.run_due(T0, by="host-a:100")

    assert not periodic.scheduler_is_stale(now=T0 + timedelta(seconds=120))
    assert periodic.scheduler_is_stale(now=T0 + timedelta(seconds=121))


ROUNDS = 20
SCHEDULERS = 8


@requires_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_schedulers_never_run_one_job_twice(tick):
    for round_ in range(ROUNDS):
        now = T0 + timedelta(seconds=60 * round_)

        outcomes = run_together(
            [lambda i=i, now=now: periodic.run_due(now, by=f"host-{i}:1") for i in range(SCHEDULERS)]
        )

        assert [o.error for o in outcomes] == [None] * SCHEDULERS
        assert sum(len(o.value) for o in outcomes) == 1, f"round {round_}: {[o.value for o in outcomes]}"
    assert tick.enqueued == ROUNDS
    assert PeriodicJobRun.objects.get(name="tick").runs == ROUNDS
