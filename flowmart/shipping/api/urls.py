from django.urls import path

from . import easypost, views

urlpatterns = [
    path("shipping/shipments/", views.ShipmentListView.as_view(), name="shipping-shipments"),
    path("shipping/shipments/<int:pk>/", views.ShipmentDetailView.as_view(), name="shipping-shipment"),
    path("shipping/shipments/<int:pk>/dispatch/", views.ShipmentDispatchView.as_view(), name="shipping-dispatch"),
    path("shipping/shipments/<int:pk>/label/", views.ShipmentLabelView.as_view(), name="shipping-shipment-label"),
    path("shipping/returns/", views.ReturnListView.as_view(), name="shipping-returns"),
    path("shipping/returns/<str:return_id>/label/", views.ReturnLabelView.as_view(), name="shipping-return-label"),
    path(
        "shipping/returns/<str:return_id>/receive/", views.ReturnReceiveView.as_view(), name="shipping-return-receive"
    ),
    # Before the generic carrier webhook: EasyPost's own event format and signature.
    path(
        "shipping/carriers/easypost/webhook/",
        easypost.EasyPostWebhookView.as_view(),
        name="shipping-easypost-webhook",
    ),
    path(
        "shipping/carriers/<slug:carrier>/webhook/", views.CarrierWebhookView.as_view(), name="shipping-carrier-webhook"
    ),
]
