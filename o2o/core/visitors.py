"""Anonymous visitors told apart by a random key in a cookie, of which only a keyed hash is stored.

Used by the visits of employees' share links (o2o.outreach, cookie `o2o_visitor`) and the readers
of shared materials (o2o.toolbox, cookie `o2o_reader`). Each caller hashes under its own purpose,
so the same browser's hashes cannot be joined across the two tables.
"""

import hashlib
import hmac
import re
import secrets

from django.conf import settings
from django.http import HttpRequest, HttpResponse

KEY_SHAPE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def new_visitor_key() -> str:
    """A fresh random key (32 URL-safe characters, 192 bits)."""
    return secrets.token_urlsafe(24)


def is_visitor_key(key: str) -> bool:
    return bool(KEY_SHAPE.match(key or ""))


def hashed_visitor(purpose: str, key: str) -> str:
    """What is stored of a visitor: the HMAC (keyed with SECRET_KEY) of their key under `purpose`."""
    return hmac.new(settings.SECRET_KEY.encode(), f"{purpose}:{key}".encode(), hashlib.sha256).hexdigest()


def visitor_key(request: HttpRequest, cookie: str) -> tuple[str, bool]:
    """The key in the visitor's cookie, or a fresh one when it is missing or malformed (True: the
    response must set the cookie, see `keep_visitor_key`)."""
    key = request.COOKIES.get(cookie, "")
    if is_visitor_key(key):
        return key, False
    return new_visitor_key(), True


def keep_visitor_key(request: HttpRequest, response: HttpResponse, cookie: str, key: str, *, max_age: int) -> None:
    """Set the cookie: HttpOnly, SameSite=Lax, Secure on HTTPS."""
    response.set_cookie(cookie, key, max_age=max_age, httponly=True, samesite="Lax", secure=request.is_secure())
