"""Every error the API returns is application/problem+json (RFC 9457) with a stable `code`.

Also the site-wide handler500: an uncaught error anywhere answers problem+json under /api/ and
the 500 page elsewhere; a lost database connection answers 503 with Retry-After."""

import json
import logging
import sys
from http import HTTPStatus
from typing import Any

import pydantic
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.core.signals import got_request_exception
from django.db import DataError, IntegrityError, InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from django.template import loader
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from o2o.core.errors import DomainError, ErrorCode
from o2o.core.middleware import current_request_id
from o2o.core.redaction import database_error_text

PROBLEM_CONTENT_TYPE = "application/problem+json"
API_PREFIX = "/api/"
# How long a client should wait before retrying when the database is away (restart, failover).
RETRY_AFTER_SECONDS = 10
logger = logging.getLogger("o2o.api")


def problem(status: int, code: str, detail: str, **extra: Any) -> HttpResponse:
    body = {
        "type": f"https://o2o.example/problems/{code}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "code": code,
        "detail": detail,
        **extra,
    }
    return HttpResponse(
        json.dumps(body, default=str, ensure_ascii=False), status=status, content_type=PROBLEM_CONTENT_TYPE
    )


def _validation_errors(errors: list[dict]) -> list[dict]:
    return [
        {
            "field": ".".join(
                str(p) for p in e.get("loc", []) if p not in ("body", "query", "path", "header", "payload")
            ),
            "message": e.get("msg", "invalid"),
        }
        for e in errors
    ]


def install(api: NinjaAPI) -> None:
    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        response = problem(exc.status, exc.code, exc.message, **exc.extra)
        if "retry_after" in exc.extra:  # a throttled request (429) says when to come back
            response["Retry-After"] = str(exc.extra["retry_after"])
        return response

    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return problem(422, ErrorCode.INVALID, "the request is not valid", errors=_validation_errors(exc.errors))

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return problem(401, ErrorCode.UNAUTHENTICATED, "sign in first (Authorization: Bearer <token>)")

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        code = {
            401: ErrorCode.UNAUTHENTICATED,
            403: ErrorCode.FORBIDDEN,
            404: ErrorCode.NOT_FOUND,
            429: ErrorCode.RATE_LIMITED,
        }.get(exc.status_code, ErrorCode.INVALID)
        return problem(exc.status_code, code, str(exc))

    @api.exception_handler(IntegrityError)
    def integrity_error(request: HttpRequest, exc: IntegrityError) -> HttpResponse:
        # A database constraint caught what the services should have: refuse, never a 500.
        logger.error("constraint violation reached the API: %s", database_error_text(exc))
        return problem(409, ErrorCode.CONFLICT, "the request conflicts with the current data; reload and retry")

    @api.exception_handler(DataError)
    def out_of_range(request: HttpRequest, exc: DataError) -> HttpResponse:
        # A value the database cannot hold (a number out of range) that validation let through.
        logger.error("value out of range reached the database: %s", database_error_text(exc))
        return problem(422, ErrorCode.INVALID, "a value is out of range")

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return problem(404, ErrorCode.NOT_FOUND, "not found")

    # What Django itself would have answered with a 4xx page: the same status, as problem+json.
    @api.exception_handler(PermissionDenied)
    def permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return problem(403, ErrorCode.FORBIDDEN, "not allowed")

    @api.exception_handler(SuspiciousOperation)
    @api.exception_handler(BadRequest)
    def bad_request(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.warning("bad request: %s %s: %s", request.method, request.path, exc)
        return problem(400, ErrorCode.INVALID, "the request could not be read")

    @api.exception_handler(OperationalError)
    @api.exception_handler(InterfaceError)
    def database_unavailable(request: HttpRequest, exc: Exception) -> HttpResponse:
        got_request_exception.send(sender=None, request=request)  # as Django does for an uncaught one
        return _database_unavailable(request, exc)

    @api.exception_handler(Exception)
    def server_error_in_api(request: HttpRequest, exc: Exception) -> HttpResponse:
        got_request_exception.send(sender=None, request=request)
        if _lost_database_while_serializing(exc):
            return _database_unavailable(request, exc)
        return _server_error_problem(request, exc)


def _lost_database_while_serializing(exc: Exception) -> bool:
    """A list endpoint returns a lazy queryset; when the database is away it fails while the
    response is validated, and pydantic keeps only the text of the database error."""
    return isinstance(exc, pydantic.ValidationError) and any(
        e["type"] == "get_attribute_error"
        and str(e.get("ctx", {}).get("error", "")).startswith(("OperationalError:", "InterfaceError:"))
        for e in exc.errors()
    )


def _logged(response: HttpResponse) -> HttpResponse:
    response._has_been_logged = True  # logged here with the traceback; django.request need not again
    return response


def _database_unavailable(request: HttpRequest, exc: BaseException) -> HttpResponse:
    """A lost or refused database connection: the client should retry shortly."""
    logger.error("database unavailable: %s %s", request.method, request.path, exc_info=exc)
    answer = problem(
        503,
        ErrorCode.SERVICE_UNAVAILABLE,
        "the service is briefly unavailable; retry shortly",
        request_id=current_request_id(),
    )
    answer["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return _logged(answer)


def _server_error_problem(request: HttpRequest, exc: BaseException) -> HttpResponse:
    logger.error("server error: %s %s", request.method, request.path, exc_info=exc)
    rid = current_request_id()
    detail = f"something went wrong on our side; quote request id {rid} when reporting it"
    return _logged(problem(500, ErrorCode.SERVER_ERROR, detail, request_id=rid))


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: problem+json under /api/, the 500 page (503 while the database is away)
    elsewhere. Renders without a request context, so nothing here touches the database."""
    exc = sys.exc_info()[1]
    if request.path.startswith(API_PREFIX):
        if isinstance(exc, OperationalError | InterfaceError):
            return _database_unavailable(request, exc)
        return _server_error_problem(request, exc)
    unavailable = isinstance(exc, OperationalError | InterfaceError)
    html = loader.get_template("500.html").render({"request_id": current_request_id(), "unavailable": unavailable})
    response = HttpResponse(html, status=503 if unavailable else 500)
    if unavailable:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
