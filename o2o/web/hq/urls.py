from django.urls import path

from o2o.web.hq import views

urlpatterns = [
    path("", views.dashboard, name="hq-dashboard"),
]
