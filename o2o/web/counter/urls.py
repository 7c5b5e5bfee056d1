from django.urls import path

from o2o.web.counter import views

urlpatterns = [
    path("", views.home, name="counter-home"),
]
