"""JSON endpoints take JSON only.

A page on another site can make a visitor's browser POST to us, but an HTML form can only send
application/x-www-form-urlencoded, multipart/form-data or text/plain (anything else needs a CORS
preflight we never grant). So a body in any other media type than JSON is refused with 415
before it is parsed: no sign-in code, sign-up or order can be sent from someone else's page.
"""

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI

from o2o.api.problems import problem
from o2o.core.errors import ErrorCode

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def accepts_any_body(view: Callable) -> Callable:
    """Mark an endpoint that authenticates its raw body itself (e.g. a signed gateway callback in
    whatever media type the gateway sends)."""
    view.accepts_any_body = True
    return view


def is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def _has_body(request: HttpRequest) -> bool:
    length = request.META.get("CONTENT_LENGTH") or "0"
    chunked = "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
    return chunked or (length.isdigit() and int(length) > 0) or not length.isdigit()


def json_only(run: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wraps an operation (before its input is parsed): 415 problem+json for a non-JSON body."""
    view = getattr(getattr(run, "__self__", None), "view_func", None)
    if getattr(view, "accepts_any_body", False):
        return run

    @wraps(run)
    def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method in BODY_METHODS and _has_body(request) and not is_json(request.content_type or ""):
            return problem(
                415,
                ErrorCode.UNSUPPORTED_MEDIA_TYPE,
                "send the request body as application/json",
                content_type=request.META.get("CONTENT_TYPE", ""),
            )
        return run(request, *args, **kwargs)

    return guarded


def install(api: NinjaAPI) -> None:
    api.add_decorator(json_only, mode="view")  # "view" wraps the whole operation, before parsing
