"""One statement for "insert this row unless a unique constraint already holds one like it".

`bulk_create(ignore_conflicts=True)` does not say whether the row went in, so a caller had to read
it back: a second statement on every paid order's voucher and message. `INSERT … ON CONFLICT DO
NOTHING RETURNING` says it in the same round trip, on PostgreSQL and SQLite alike, and keeps the
transaction usable without a savepoint."""

from django.db import router
from django.db.models import Model
from django.db.models.constants import OnConflict


def insert_unless_conflicting(row: Model) -> bool:
    """Insert `row` (its key set, as save() would) and say True; or say False and leave it unsaved
    when any unique constraint of its table already holds a row like it."""
    model = type(row)
    opts = model._meta
    fields = [
        f for f in opts.local_concrete_fields if not f.generated and (row.pk is not None or f is not opts.auto_field)
    ]
    using = router.db_for_write(model, instance=row)
    returning = opts.db_returning_fields
    # The same call Model.save() makes to insert, with the conflict clause bulk_create adds.
    [returned] = model._base_manager.using(using)._insert(
        [row], fields=fields, returning_fields=returning, using=using, on_conflict=OnConflict.IGNORE
    )
    if returned is None:
        return False
    for value, field in zip(returned, returning, strict=True):
        setattr(row, field.attname, value)
    row._state.adding = False
    row._state.db = using
    return True
