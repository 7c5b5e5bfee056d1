from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from o2o.api.main import api
from o2o.core import health
from o2o.members.views import join
from o2o.web.media import product_photo

# An uncaught error: problem+json under /api/, the 500 page elsewhere (503 while the database is away).
handler500 = "o2o.api.problems.server_error"

urlpatterns = [
    # One password form for staff, with its throttling: the admin's own login sends people there.
    path("admin/login/", RedirectView.as_view(pattern_name="web:login", query_string=True)),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("join/<str:store_code>", join, name="join"),
    path("media/products/<str:name>", product_photo, name="product-photo"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", health.liveness, name="healthz"),
    path("readyz", health.readiness, name="readyz"),
    path("", include("o2o.web.urls")),
]
