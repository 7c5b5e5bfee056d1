"""The pages: one URL module per audience, collected here under the `web` namespace."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from o2o.web import accounts, home

app_name = "web"

urlpatterns = [
    path("", home.home, name="home"),
    path("accounts/login/", accounts.StaffLoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("shop/signin/", accounts.member_signin, name="member-signin"),
    path("shop/signout/", accounts.member_signout, name="member-signout"),
    path("shop/", include("o2o.web.storefront.urls")),
    path("counter/", include("o2o.web.counter.urls")),
    path("manager/", include("o2o.web.manager.urls")),
    path("hq/", include("o2o.web.hq.urls")),
    path("marketing/", include("o2o.web.marketing.urls")),
    path("me/", include("o2o.web.employee.urls")),
    path("boss/", include("o2o.web.boss.urls")),
    path("service/", include("o2o.web.service.urls")),
    path("driver/", include("o2o.web.driver.urls")),
]
