from django.urls import path

from o2o.web.storefront import views

urlpatterns = [
    path("", views.home, name="shop-home"),
]
