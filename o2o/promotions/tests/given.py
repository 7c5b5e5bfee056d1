"""Promotions as a marketer creates them (through the service), for the tests."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from o2o.access.actors import SYSTEM
from o2o.promotions.services import PromotionSpec, create_promotion

D = Decimal


def promotion(kind: str, *, name: str = "", activate: bool = True, **terms):
    """An active promotion open since an hour ago (unless `starts_at` says otherwise)."""
    terms.setdefault("starts_at", timezone.now() - timedelta(hours=1))
    if kind == "timed_price":
        terms.setdefault("ends_at", timezone.now() + timedelta(days=1))
    for many in ("store_ids", "sku_ids", "category_ids", "tiers", "bundle"):
        terms[many] = tuple(terms.get(many, ()))
    spec = PromotionSpec(name=name or kind, kind=kind, **terms)
    return create_promotion(actor=SYSTEM, spec=spec, activate=activate)
