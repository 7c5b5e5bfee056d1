"""Marketers' pages (HQ, marketers, online operators): campaigns, offers, segments, broadcasts and
their reports. Each offer app has its own module here; every write calls its app's services."""

from django.urls import path  # noqa: F401  (each module adds its paths below)

from o2o.web.marketing import flashsale

urlpatterns: list = []
urlpatterns += [path("flash-sales/", flashsale.flash_sales, name="marketing-flash-sales")]
