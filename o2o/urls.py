from django.contrib import admin
from django.urls import include, path

from o2o.api.main import api
from o2o.members.views import join

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("join/<str:store_code>", join, name="join"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("o2o.web.urls")),
]
