"""The owner's and supervisors' view ("boss online"): stores, teams, employees and the orders
behind each figure, on a phone as well."""

from django.urls import path  # noqa: F401  (each module adds its paths below)

urlpatterns: list = []
