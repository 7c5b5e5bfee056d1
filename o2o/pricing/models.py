"""Pricing keeps no tables of its own yet: its rules are code registered in `rules.py`.

Marketing (issue 9) will add promotion and coupon tables here and register rules that read them.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DiscountSource(models.TextChoices):
    """Where a discount line comes from (kept on every order line discount)."""

    PROMOTION = "promotion", _("promotion")
    COUPON = "coupon", _("coupon")
    LEVEL = "level", _("member level")
    MANUAL = "manual", _("manual discount")
