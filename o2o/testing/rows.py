"""Comparing two reads of the same rows: a named statement's instances against the ORM's."""

from django.db.models import Model


def fields_of(instance: Model) -> list:
    """Every column's value of `instance`, in its table's order (`attname`: the key, not the row
    it points to)."""
    return [getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields]
