from django.urls import path

from . import views, voucher_views

urlpatterns = [
    path("carts/", views.CartsView.as_view(), name="carts"),
    path("carts/<str:cart_id>/", views.CartView.as_view(), name="cart"),
    path("carts/<str:cart_id>/voucher/", voucher_views.CartVoucherView.as_view(), name="cart-voucher"),
    path("carts/<str:cart_id>/items/", views.CartItemsView.as_view(), name="cart-items"),
    path("carts/<str:cart_id>/items/<str:item_id>/", views.CartItemView.as_view(), name="cart-item"),
    path("shipping/methods/", views.ShippingMethodsView.as_view(), name="shipping-methods"),
    path("checkout/", views.CheckoutView.as_view(), name="checkout"),
    path("orders/", views.OrdersView.as_view(), name="orders"),
    path("guest-orders/<str:token>/", views.GuestOrderView.as_view(), name="guest-order"),
    path("orders/<str:order_id>/", views.OrderView.as_view(), name="order"),
    path("orders/<str:order_id>/cancel/", views.OrderCancelView.as_view(), name="order-cancel"),
    path("orders/<str:order_id>/amend/", views.OrderAmendView.as_view(), name="order-amend"),
    path("orders/<str:order_id>/returns/", views.OrderReturnsView.as_view(), name="order-returns"),
]
