"""One statement for "insert these rows unless a unique constraint already holds them".

`bulk_create(ignore_conflicts=True)` does not say whether the rows went in, so a caller had to
read them back, or check first: a second statement on every paid order's voucher, preparation,
message and credits. `INSERT … ON CONFLICT DO NOTHING RETURNING` says it in the same round trip,
on PostgreSQL and SQLite alike, and keeps the transaction usable without a savepoint."""

from collections.abc import Sequence

from django.db import IntegrityError, router
from django.db.models import Model
from django.db.models.constants import OnConflict


def insert_unless_conflicting(row: Model) -> bool:
    """Insert `row` (its key set, as save() would) and say True; or say False and leave it unsaved
    when any unique constraint of its table already holds a row like it."""
    return insert_all_unless_conflicting([row])


def insert_all_unless_conflicting(rows: Sequence[Model]) -> bool:
    """Insert rows of one model in one statement (their keys set) and say True; or say False when
    unique constraints already hold every one of them (a replay). Rows written together are never
    found in part: some but not all is an IntegrityError, which rolls the caller back."""
    if not rows:
        return True
    model = type(rows[0])
    opts = model._meta
    keyed = rows[0].pk is not None
    fields = [f for f in opts.local_concrete_fields if not f.generated and (keyed or f is not opts.auto_field)]
    using = router.db_for_write(model, instance=rows[0])
    returning = opts.db_returning_fields
    # The call Model.save() and bulk_create() make to insert, with the conflict clause kept.
    returned = model._base_manager.using(using)._insert(
        list(rows), fields=fields, returning_fields=returning, using=using, on_conflict=OnConflict.IGNORE
    )
    inserted = [values for values in returned if values is not None]  # one row: [None] when it conflicted
    if not inserted:
        return False
    if len(inserted) != len(rows):
        raise IntegrityError(f"{len(rows) - len(inserted)} of {len(rows)} {opts.label} rows existed already")
    for row, values in zip(rows, inserted, strict=True):
        for value, field in zip(values, returning, strict=True):
            setattr(row, field.attname, value)
        row._state.adding = False
        row._state.db = using
    return True
