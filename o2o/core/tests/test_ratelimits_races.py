"""Race tests on PostgreSQL: racing threads and processes spending one budget get exactly the budget."""

import multiprocessing

import pytest
from django.db import connection

from o2o.core.models import RateLimitCounter
from o2o.core.ratelimits import spend
from o2o.testing.races import requires_postgres, run_together, values

pytestmark = [pytest.mark.postgres, requires_postgres, pytest.mark.django_db(transaction=True)]


def test_thirty_threads_spending_a_budget_of_seven_get_exactly_seven():
    outcomes = run_together([lambda: spend("7/minute", "otp", "+8613912345678") for _ in range(30)])

    assert sorted(values(outcomes)) == [False] * 23 + [True] * 7
    assert list(RateLimitCounter.objects.values_list("hits", flat=True)) == [7]


def _spend_in_a_process(rate: str, tries: int, start, results) -> None:
    connection.close()  # the child opens its own connection, like a web worker
    start.wait()
    results.put(sum(spend(rate, "sms", "global") for _ in range(tries)))
    connection.close()


def test_four_processes_share_one_budget():
    context = multiprocessing.get_context("fork")
    start, results = context.Event(), context.Queue()
    connection.close()
    workers = [context.Process(target=_spend_in_a_process, args=("10/minute", 8, start, results)) for _ in range(4)]
    for worker in workers:
        worker.start()
    start.set()
    granted = [results.get(timeout=30) for _ in workers]
    for worker in workers:
        worker.join(30)

    assert sum(granted) == 10
    assert list(RateLimitCounter.objects.values_list("hits", flat=True)) == [10]
