from django.urls import path

from o2o.web.hq import installments, loyalty, views

urlpatterns = [
    path("", views.dashboard, name="hq-dashboard"),
    path("installments/overdue/", installments.overdue, name="hq-installments-overdue"),
    path("loyalty/", loyalty.rules, name="hq-loyalty"),
    path("loyalty/levels/", loyalty.save_level, name="hq-loyalty-level"),
    path("loyalty/category-rules/", loyalty.save_category_rule, name="hq-loyalty-category-rule"),
    path("loyalty/adjustments/", loyalty.adjust, name="hq-loyalty-adjust"),
]
