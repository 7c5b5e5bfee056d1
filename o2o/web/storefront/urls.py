from django.urls import include, path

from o2o.web.storefront import checkout, installments, my_orders, points, views

urlpatterns = [
    path("", views.home, name="shop-home"),
    path("p/<int:sku_id>/", views.product, name="shop-product"),
    path("stores/", views.stores, name="shop-stores"),
    path("cart/", views.cart, name="shop-cart"),
    path("cart/add/", views.cart_add, name="shop-cart-add"),
    path("cart/<int:sku_id>/", views.cart_line, name="shop-cart-line"),
    path("checkout/", checkout.checkout, name="shop-checkout"),
    path("my-data/", include("o2o.web.storefront.my_data")),
    path("points/", points.my_points, name="shop-points"),
    path("orders/", my_orders.order_list, name="shop-orders"),
    path("orders/<int:order_id>/", my_orders.order_detail, name="shop-order"),
    path("orders/<int:order_id>/status/", my_orders.order_status, name="shop-order-status"),
    path("orders/<int:order_id>/cancel/", my_orders.order_cancel, name="shop-order-cancel"),
    path("orders/<int:order_id>/pay/", checkout.pay, name="shop-pay"),
    path("orders/<int:order_id>/pay/simulate/", checkout.pay_simulated, name="shop-pay-simulate"),
    path("installments/", installments.my_plans, name="shop-installments"),
    path("orders/<int:order_id>/installments/", installments.choose, name="shop-installments-choose"),
    path("orders/<int:order_id>/installments/offer/", installments.offer, name="shop-installments-offer"),
]
