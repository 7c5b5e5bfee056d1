from django.urls import path

from o2o.web.manager import views

urlpatterns = [
    path("", views.home, name="manager-stock"),
]
