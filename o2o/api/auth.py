from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from o2o.access.actors import Actor, actor_for_user
from o2o.access.services import actor_for_token


class BearerActor(HttpBearer):
    """Staff and members send `Authorization: Bearer <token>`."""

    def authenticate(self, request: HttpRequest, token: str) -> Actor | None:
        return actor_for_token(token)


class SessionActor(SessionAuth):
    """Pages signed in with a Django session call the API with their session and CSRF token."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Actor | None:
        user = super().authenticate(request, key)
        return actor_for_user(user) if user else None


def actor(request: HttpRequest) -> Actor:
    return request.auth  # set by one of the auth classes above


AUTH = [BearerActor(), SessionActor()]
