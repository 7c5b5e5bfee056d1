from django.urls import path

from o2o.web.hq import views

urlpatterns = [
    path("", views.home, name="hq-dashboard"),
]
