"""Employees' own pages on the phone ("my store"): share link and poster, my customers and
follow-ups, materials to share, my commission, staff support. Each app has its module here."""

from django.urls import path  # noqa: F401  (each module adds its paths below)

urlpatterns: list = []
