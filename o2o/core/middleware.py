"""Request-wide middleware: a request id on every request and log line, one access-log line per
request, and the Permissions-Policy header."""

import logging
import re
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar

from django.conf import settings
from django.http import HttpRequest, HttpResponse

REQUEST_ID_HEADER = "X-Request-ID"
# An id from a proxy or client is kept only when it is short and plain (it goes into log lines).
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{8,64}")

request_id: ContextVar[str] = ContextVar("request_id", default="-")
access_log = logging.getLogger("o2o.request")


def current_request_id() -> str:
    return request_id.get()


class RequestIdLogFilter(logging.Filter):
    """Stamps every log record with the id of the request being served ("-" outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        # django.request logs a 5xx after the middleware has finished, with the request attached.
        attached = getattr(getattr(record, "request", None), "request_id", None)
        record.request_id = attached or request_id.get()
        return True


class RequestLogMiddleware:
    """Outermost: gives the request an id (X-Request-ID in and out) and logs one line when done."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        rid = incoming if _SANE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        token = request_id.set(rid)
        request.request_id = rid
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = rid
            access_log.info(
                "%s %s %s %.1fms",
                request.method,
                request.path,
                response.status_code,
                (time.perf_counter() - started) * 1000,
            )
            return response
        finally:
            request_id.reset(token)


class PermissionsPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", settings.O2O_PERMISSIONS_POLICY)
        return response
