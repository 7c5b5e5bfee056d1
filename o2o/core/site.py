"""Absolute links to this site (join QR codes, the pay URL): at the address the visitor used."""

from django.conf import settings
from django.http import HttpRequest


def absolute_url(location: str, request: HttpRequest | None = None) -> str:
    """`location` (a path, or an absolute URL that is returned as it is) on the public address.

    O2O_SITE_URL, when set, is that address (behind a proxy, or when phones must reach a LAN
    address rather than the one the manager typed); otherwise the address of the request. With
    neither, the path is returned unchanged.
    """
    if "://" in location:
        return location
    if site := settings.O2O_SITE_URL.rstrip("/"):
        return f"{site}/{location.lstrip('/')}"
    if request is not None:
        return request.build_absolute_uri(location)
    return location
