"""An employee's personal store-join link (/join/<store>?ref=<employee code>) and its QR code."""

from urllib.parse import urlencode

import segno
from django.conf import settings
from django.urls import reverse


def join_url(*, store_code: str, employee_code: str) -> str:
    """Absolute, on the public site address: a customer's phone opens it from the QR code."""
    path = reverse("join", kwargs={"store_code": store_code})
    return f"{settings.O2O_SITE_URL.rstrip('/')}{path}?{urlencode({'ref': employee_code})}"


def qr_data_uri(url: str) -> str:
    return segno.make(url, error="m").svg_data_uri(scale=4)
