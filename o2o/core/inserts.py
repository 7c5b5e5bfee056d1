"""One statement for "insert these rows unless a unique constraint already holds them".

`bulk_create(ignore_conflicts=True)` does not say whether the rows went in, so a caller had to
read them back, or check first: a second statement on every paid order's voucher, preparation,
message and credits. `INSERT … ON CONFLICT DO NOTHING RETURNING` says it in the same round trip,
on PostgreSQL and SQLite alike, and keeps the transaction usable without a savepoint."""

from collections.abc import Sequence

from django.db.models import Model

from o2o.core.sql import insert_models_unless_conflicting


def insert_unless_conflicting(row: Model) -> bool:
    """Insert `row` (its key set, as save() would) and say True; or say False and leave it unsaved
    when any unique constraint of its table already holds a row like it."""
    return insert_all_unless_conflicting([row])


def insert_all_unless_conflicting(rows: Sequence[Model]) -> bool:
    """Insert rows of one model in one statement (their keys set) and say True; or say False when
    unique constraints already hold every one of them (a replay). Rows written together are never
    found in part: some but not all is an IntegrityError, which rolls the caller back. The
    statement is written once per model and row count (`o2o.core.sql.insert_models_unless_conflicting`)."""
    return insert_models_unless_conflicting(rows)
