"""An employee's personal store-join link (/join/<store>?ref=<employee code>) and its QR code."""

from urllib.parse import urlencode

import segno
from django.http import HttpRequest
from django.urls import reverse

from o2o.core.site import absolute_url


def join_url(*, store_code: str, employee_code: str, request: HttpRequest | None = None) -> str:
    """Absolute, on the public site address (O2O_SITE_URL, or the address the manager's request
    came to): a customer's phone opens it from the QR code."""
    path = reverse("join", kwargs={"store_code": store_code})
    return absolute_url(f"{path}?{urlencode({'ref': employee_code})}", request)


def qr_data_uri(url: str) -> str:
    return segno.make(url, error="m").svg_data_uri(scale=4)
