"""The owner's and supervisors' view ("boss online"): stores, teams, employees and the orders
behind each figure, on a phone as well."""

from django.urls import path

from o2o.web.boss import views

urlpatterns = [
    path("", views.overview, name="boss-overview"),
    path("stores/<int:location_id>/", views.store, name="boss-store"),
    path("stores/<int:location_id>/orders/", views.store_orders, name="boss-store-orders"),
    path("stores/<int:location_id>/credits/", views.store_credits, name="boss-store-credits"),
    path("employees/<int:employee_id>/", views.employee, name="boss-employee"),
]
