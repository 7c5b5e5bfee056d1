from django.urls import include, path

from o2o.web.storefront import checkout, installments, my_orders, points, views
from o2o.web.storefront import coupons as coupon_pages
from o2o.web.storefront import employee_store as employee_pages
from o2o.web.storefront import flashsale as flash_pages
from o2o.web.storefront import groupbuy as group_pages
from o2o.web.storefront import rewards as reward_pages
from o2o.web.storefront import shared as shared_pages
from o2o.web.storefront import survey as survey_pages
from o2o.web.storefront import wallet as wallet_pages

urlpatterns = [
    path("", views.home, name="shop-home"),
    path("survey/<str:token>/", survey_pages.survey, name="shop-survey"),
    path("p/<int:sku_id>/", views.product, name="shop-product"),
    path("stores/", views.stores, name="shop-stores"),
    path("stores/<int:location_id>/choose/", views.store_choose, name="shop-store-choose"),
    path("cart/", views.cart, name="shop-cart"),
    path("cart/add/", views.cart_add, name="shop-cart-add"),
    path("cart/<int:sku_id>/", views.cart_line, name="shop-cart-line"),
    path("checkout/", checkout.checkout, name="shop-checkout"),
    path("my-data/", include("o2o.web.storefront.my_data")),
    path("notifications/", include("o2o.web.storefront.notifications")),
    path("points/", points.my_points, name="shop-points"),
    path("coupons/", coupon_pages.my_coupons, name="shop-coupons"),
    path("coupons/claim/", coupon_pages.claim_centre, name="shop-coupons-claim"),
    path("flash/<int:sale_id>/", flash_pages.flash_sale, name="shop-flash"),
    path("flash/<int:sale_id>/buy/", flash_pages.buy, name="shop-flash-buy"),
    path("orders/", my_orders.order_list, name="shop-orders"),
    path("orders/<int:order_id>/", my_orders.order_detail, name="shop-order"),
    path("orders/<int:order_id>/status/", my_orders.order_status, name="shop-order-status"),
    path("orders/<int:order_id>/cancel/", my_orders.order_cancel, name="shop-order-cancel"),
    path("orders/<int:order_id>/pay/", checkout.pay, name="shop-pay"),
    path("orders/<int:order_id>/pay/simulate/", checkout.pay_simulated, name="shop-pay-simulate"),
    path("orders/<int:order_id>/pay/balance/", checkout.pay_from_balance, name="shop-pay-balance"),
    path("wallet/", wallet_pages.my_wallet, name="shop-wallet"),
    path("wallet/top-up/", wallet_pages.top_up, name="shop-wallet-top-up-start"),
    path("wallet/top-ups/<int:top_up_id>/", wallet_pages.top_up_page, name="shop-wallet-top-up"),
    path("wallet/top-ups/<int:top_up_id>/simulate/", wallet_pages.top_up_simulated, name="shop-wallet-top-up-simulate"),
    path("wallet/code/", wallet_pages.payment_code, name="shop-wallet-code"),
    path("wallet/code/fresh/", wallet_pages.payment_code_fresh, name="shop-wallet-code-fresh"),
    path("installments/", installments.my_plans, name="shop-installments"),
    path("orders/<int:order_id>/installments/", installments.choose, name="shop-installments-choose"),
    path("orders/<int:order_id>/installments/offer/", installments.offer, name="shop-installments-offer"),
]

urlpatterns += [
    path("invite/", reward_pages.invite, name="shop-invite"),
    path("r/<str:code>/", reward_pages.referral_landing, name="shop-referral"),
    path("red-packets/<str:code>/", reward_pages.red_packet, name="shop-red-packet"),
    path("check-in/<str:code>/", reward_pages.check_in, name="shop-check-in"),
]
urlpatterns += [
    path("group-buys/<int:offer_id>/", group_pages.group_buy, name="shop-group-buy"),
    path("group-buys/<int:offer_id>/open/", group_pages.open_group, name="shop-group-open"),
    path("groups/mine/", group_pages.my_groups, name="shop-my-groups"),
    path("groups/<int:group_id>/", group_pages.group, name="shop-group"),
    path("groups/<int:group_id>/join/", group_pages.join_group, name="shop-group-join"),
    path("chains/<int:chain_id>/", group_pages.chain, name="shop-chain"),
    path("chains/<int:chain_id>/sign-up/", group_pages.chain_sign_up, name="shop-chain-sign-up"),
    path("chains/<int:chain_id>/cancel/", group_pages.chain_cancel, name="shop-chain-cancel"),
]
urlpatterns += [
    path("e/<str:code>/", employee_pages.employee_store, name="shop-employee"),
    path("e/<str:code>/qr.svg", employee_pages.qr, name="shop-employee-qr"),
    path("e/<str:code>/poster.png", employee_pages.poster, name="shop-employee-poster"),
    path("e/<str:code>/join/", employee_pages.join, name="shop-employee-join"),
]
urlpatterns += [
    path("m/<str:token>/", shared_pages.shared_page, name="shop-shared"),
    path("m/<str:token>/ping/", shared_pages.ping, name="shop-shared-ping"),
    path("m/<str:token>/forward/", shared_pages.forward, name="shop-shared-forward"),
    path("m/<str:token>/inquire/", shared_pages.inquire, name="shop-shared-inquire"),
]
from o2o.web.storefront import help as help_pages  # noqa: E402

urlpatterns += [
    path("help/", help_pages.ticket_list, name="shop-help"),
    path("help/new/", help_pages.new_ticket, name="shop-help-new"),
    path("help/<int:ticket_id>/", help_pages.ticket_page, name="shop-help-ticket"),
    path("help/<int:ticket_id>/messages/", help_pages.ticket_messages, name="shop-help-messages"),
    path("help/<int:ticket_id>/send/", help_pages.send, name="shop-help-send"),
    path("help/<int:ticket_id>/confirm/", help_pages.confirm, name="shop-help-confirm"),
    path("help/<int:ticket_id>/reopen/", help_pages.reopen, name="shop-help-reopen"),
]
