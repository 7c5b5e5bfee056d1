"""Django's own 404 and 405 answers under /api/ become problem+json like every other API error."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from o2o.api.problems import PROBLEM_CONTENT_TYPE, problem
from o2o.core.errors import ErrorCode

API_PREFIX = "/api/"


class ApiProblemMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith(API_PREFIX) or response.get("Content-Type", "").startswith(PROBLEM_CONTENT_TYPE):
            return response
        if response.status_code == 404:
            return problem(404, ErrorCode.NOT_FOUND, "no such API endpoint")
        if response.status_code == 405:
            answer = problem(405, ErrorCode.METHOD_NOT_ALLOWED, f"{request.method} is not allowed here")
            if allow := response.get("Allow"):
                answer["Allow"] = allow
            return answer
        return response
