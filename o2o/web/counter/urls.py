"""The store counter: pickups, sales and orders from other locations (clerks and store managers)."""

from django.urls import path

from o2o.web.counter import aisle, customer, exchanges, installments, pickup, queue, returns, sale, views
from o2o.web.counter import coupons as coupon_pages
from o2o.web.counter import wallet as wallet_pages

urlpatterns = [
    path("", views.home, name="counter-home"),
    path("pickup/", pickup.page, name="counter-pickup"),
    path("pickup/lookup/", pickup.lookup, name="counter-pickup-lookup"),
    path("pickup/redeem/", pickup.redeem, name="counter-pickup-redeem"),
    path("pickup/<int:voucher_id>/undo/", pickup.undo, name="counter-pickup-undo"),
    path("queue/", queue.page, name="counter-queue"),
    path("queue/badge/", queue.badge, name="counter-queue-badge"),
    path("queue/<int:preparation_id>/accept/", queue.accept, name="counter-queue-accept"),
    path("queue/<int:preparation_id>/pick/", queue.pick, name="counter-queue-pick"),
    path("queue/<int:preparation_id>/shortage/", queue.shortage, name="counter-queue-shortage"),
    path("queue/<int:preparation_id>/ready/", queue.ready, name="counter-queue-ready"),
    path("queue/<int:preparation_id>/packed/", queue.packed, name="counter-queue-packed"),
    path("returns/", returns.page, name="counter-returns"),
    path("returns/<int:order_id>/", returns.take_back, name="counter-returns-take-back"),
    path("returns/<int:order_id>/exchange/", exchanges.exchange, name="counter-returns-exchange"),
    path("sale/", sale.page, name="counter-sale"),
    path("sale/scan/", sale.scan, name="counter-sale-scan"),
    path("sale/lines/", sale.line, name="counter-sale-line"),
    path("sale/clear/", sale.clear, name="counter-sale-clear"),
    path("sale/search/", sale.search, name="counter-sale-search"),
    path("sale/pay/", sale.pay, name="counter-sale-pay"),
    path("sale/coupon/", coupon_pages.apply, name="counter-sale-coupon"),
    path("sale/coupon/remove/", coupon_pages.remove, name="counter-sale-coupon-remove"),
    path("customer/", customer.lookup, name="counter-customer"),
    path("customer/register/", customer.register, name="counter-customer-register"),
    path("customer/forget/", customer.forget, name="counter-customer-forget"),
    path("aisle/", aisle.page, name="counter-aisle"),
    path("aisle/lines/", aisle.line, name="counter-aisle-line"),
    path("aisle/order/", aisle.order, name="counter-aisle-order"),
    path("orders/<int:order_id>/receipt/", views.receipt, name="counter-receipt"),
    path("wallet/", wallet_pages.page, name="counter-wallet"),
    path("wallet/top-up/", wallet_pages.top_up, name="counter-wallet-top-up"),
    path("wallet/refund/", wallet_pages.refund, name="counter-wallet-refund"),
    path("installments/", installments.page, name="counter-installments"),
    path("installments/orders/<int:order_id>/plan/", installments.set_up, name="counter-installments-set-up"),
    path("installments/orders/<int:order_id>/repay/", installments.repay, name="counter-installments-repay"),
    path("installments/orders/<int:order_id>/settle/", installments.settle, name="counter-installments-settle"),
]
