"""insert_unless_conflicting: one statement that says whether the row went in."""

from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from o2o.core.inserts import insert_all_unless_conflicting, insert_unless_conflicting
from o2o.core.models import RateLimitCounter

pytestmark = pytest.mark.django_db

LATER = datetime(2030, 1, 1, tzinfo=UTC)


def _counter(hits: int, window_start: int = 60) -> RateLimitCounter:
    return RateLimitCounter(key="k", window_start=window_start, hits=hits, expires_at=LATER)


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


def test_rows_written_together_go_in_in_one_statement_in_their_order():
    rows = [_counter(1, 60), _counter(2, 120), _counter(3, 180)]

    with CaptureQueriesContext(connection) as captured:
        assert insert_all_unless_conflicting(rows) is True

    assert len(captured) == 1
    by_pk = dict(RateLimitCounter.objects.values_list("pk", "window_start"))
    assert [by_pk[row.pk] for row in rows] == [60, 120, 180]


def test_written_again_they_stay_out():
    insert_all_unless_conflicting([_counter(1, 60), _counter(2, 120)])

    assert insert_all_unless_conflicting([_counter(5, 60), _counter(6, 120)]) is False

    assert sorted(RateLimitCounter.objects.values_list("hits", flat=True)) == [1, 2]


def test_rows_found_in_part_are_refused_and_nothing_of_them_stays():
    insert_unless_conflicting(_counter(1, 60))

    with pytest.raises(IntegrityError, match="1 of 2"), transaction.atomic():
        insert_all_unless_conflicting([_counter(5, 60), _counter(6, 120)])

    assert list(RateLimitCounter.objects.values_list("hits", flat=True)) == [1]
