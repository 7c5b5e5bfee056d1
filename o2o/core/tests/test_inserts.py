"""insert_unless_conflicting: one statement that says whether the row went in."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from o2o.core.inserts import insert_unless_conflicting
from o2o.core.models import RateLimitCounter

pytestmark = pytest.mark.django_db

LATER = datetime(2030, 1, 1, tzinfo=UTC)


def _counter(hits: int) -> RateLimitCounter:
    return RateLimitCounter(key="k", window_start=60, hits=hits, expires_at=LATER)


def test_a_new_row_goes_in_with_its_key_in_one_statement():
    row = _counter(1)

    with CaptureQueriesContext(connection) as captured:
        assert insert_unless_conflicting(row) is True

    assert len(captured) == 1
    assert row.pk is not None and not row._state.adding
    assert RateLimitCounter.objects.get(pk=row.pk).hits == 1


def test_a_row_a_unique_constraint_already_holds_stays_out_and_the_transaction_goes_on():
    first = _counter(1)
    insert_unless_conflicting(first)
    second = _counter(7)

    assert insert_unless_conflicting(second) is False

    assert second.pk is None and second._state.adding
    assert list(RateLimitCounter.objects.values_list("pk", "hits")) == [(first.pk, 1)]  # no aborted transaction
