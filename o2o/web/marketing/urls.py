"""Marketers' pages (HQ, marketers, online operators): campaigns, offers, segments, broadcasts and
their reports. Each offer app has its own module here; every write calls its app's services."""

from django.urls import path  # noqa: F401  (each module adds its paths below)

from o2o.web.marketing import broadcasts as broadcast_pages
from o2o.web.marketing import campaigns as campaign_pages
from o2o.web.marketing import coupons, flashsale, promotions, rewards
from o2o.web.marketing import groupbuy as group_buy_pages
from o2o.web.marketing import segments as segment_pages

urlpatterns: list = []
urlpatterns += [path("flash-sales/", flashsale.flash_sales, name="marketing-flash-sales")]
urlpatterns += [
    path("coupons/", coupons.coupons, name="marketing-coupons"),
    path("coupons/<int:template_id>/active", coupons.set_active, name="marketing-coupon-active"),
]
urlpatterns += [path("rewards/", rewards.rewards, name="marketing-rewards")]
urlpatterns += [
    path("promotions/", promotions.promotions, name="marketing-promotions"),
    path("promotions/<int:promotion_id>/active", promotions.set_active, name="marketing-promotion-active"),
    path("clearance/", promotions.clearance, name="marketing-clearance"),
]
urlpatterns += [path("group-buys/", group_buy_pages.group_buys, name="marketing-group-buys")]
urlpatterns += [
    path("", campaign_pages.campaigns, name="marketing-campaigns"),
    path("campaigns/<int:campaign_id>/report/", campaign_pages.campaign_report, name="marketing-campaign-report"),
    path("segments/", segment_pages.segments, name="marketing-segments"),
    path("segments/count", segment_pages.segment_count, name="marketing-segment-count"),
    path("broadcasts/", broadcast_pages.broadcasts, name="marketing-broadcasts"),
    path("broadcasts/<int:broadcast_id>/send", broadcast_pages.send, name="marketing-broadcast-send"),
]
