from django.urls import path

from o2o.web.driver import views

urlpatterns = [
    path("", views.today, name="driver-today"),
    path("runs/<int:run_id>/dispatch/", views.dispatch, name="driver-dispatch"),
    path("stops/<int:stop_id>/deliver/", views.deliver, name="driver-deliver"),
    path("stops/<int:stop_id>/fail/", views.fail, name="driver-fail"),
]
