"""Customer service's desk (/service/, docs/service.md): the agents' inbox and tickets, the
knowledge base, follow-up visits and the service reports. Each part has its own module here."""

from django.urls import path  # noqa: F401  (each module adds its paths below)

urlpatterns: list = []
