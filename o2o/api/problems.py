"""Every error the API returns is application/problem+json (RFC 9457) with a stable `code`."""

import json
import logging
from http import HTTPStatus
from typing import Any

from django.db import DataError, IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from o2o.core.errors import DomainError, ErrorCode

PROBLEM_CONTENT_TYPE = "application/problem+json"
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
        return problem(exc.status, exc.code, exc.message, **exc.extra)

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
        logger.error("constraint violation reached the API: %s", exc)
        return problem(409, ErrorCode.CONFLICT, "the request conflicts with the current data; reload and retry")

    @api.exception_handler(DataError)
    def out_of_range(request: HttpRequest, exc: DataError) -> HttpResponse:
        # A value the database cannot hold (a number out of range) that validation let through.
        logger.error("value out of range reached the database: %s", exc)
        return problem(422, ErrorCode.INVALID, "a value is out of range")

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return problem(404, ErrorCode.NOT_FOUND, "not found")
