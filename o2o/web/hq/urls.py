from django.urls import path

from o2o.web.hq import cashbook as cashbook_pages
from o2o.web.hq import commission as commission_pages
from o2o.web.hq import installments, loyalty, views
from o2o.web.hq import touchpoints as touchpoint_pages
from o2o.web.hq import wallet as wallet_pages

urlpatterns = [
    path("", views.dashboard, name="hq-dashboard"),
    path("closes/", cashbook_pages.closes, name="hq-closes"),
    path("franchise/", cashbook_pages.franchise, name="hq-franchise"),
    path("wallet/", wallet_pages.page, name="hq-wallet"),
    path("wallet/tiers/", wallet_pages.save_tier, name="hq-wallet-tier"),
    path("wallet/tiers/<int:tier_id>/active/", wallet_pages.tier_active, name="hq-wallet-tier-active"),
    path("wallet/freeze/", wallet_pages.freeze, name="hq-wallet-freeze"),
    path("wallet/unfreeze/", wallet_pages.unfreeze, name="hq-wallet-unfreeze"),
    path("loyalty/", loyalty.rules, name="hq-loyalty"),
    path("loyalty/levels/", loyalty.save_level, name="hq-loyalty-level"),
    path("loyalty/category-rules/", loyalty.save_category_rule, name="hq-loyalty-category-rule"),
    path("loyalty/adjustments/", loyalty.adjust, name="hq-loyalty-adjust"),
    path("installments/overdue/", installments.overdue, name="hq-installments-overdue"),
    path("commission/", commission_pages.plans, name="hq-commission-plans"),
    path("commission/plans/", commission_pages.create_plan, name="hq-commission-plan-create"),
    path("commission/statements/", commission_pages.statements, name="hq-commission-statements"),
    path("touchpoints/", touchpoint_pages.matrix, name="hq-touchpoints"),
    path("touchpoints/versions/", touchpoint_pages.publish, name="hq-touchpoints-publish"),
]
from o2o.web.hq import service_sla  # noqa: E402

urlpatterns += service_sla.urlpatterns
from o2o.web.hq import notification_templates  # noqa: E402

urlpatterns += notification_templates.urlpatterns
from o2o.web.hq import incidents as incident_pages  # noqa: E402

urlpatterns += incident_pages.urlpatterns
from o2o.web.hq import shrinkage as shrinkage_pages  # noqa: E402

urlpatterns += shrinkage_pages.urlpatterns
