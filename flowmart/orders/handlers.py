"""Event subscribers of this context: the SUBSCRIBERS mapping is its whole wiring.

Each handler translates one event into one service call. Each @subscriber_id
is stored on deliveries and inbox rows: never change a released one.
"""

from flowmart.contracts.catalog import ProductPublished, ProductRetired, SellerStaffChanged, VariantPriceChanged
from flowmart.contracts.customers import (
    CustomerAddressDeleted,
    CustomerAddressSaved,
    CustomerErased,
    CustomerRegistered,
    CustomerSignedIn,
)
from flowmart.contracts.inventory import InventoryAdjusted, OutOfStock, ReservationExpired
from flowmart.contracts.orders import OrderCancelled
from flowmart.contracts.payments import (
    PaymentActionRequired,
    PaymentDisputed,
    PaymentHeldForReview,
    PaymentProcessed,
    PaymentRefunded,
)
from flowmart.contracts.promotions import LightningDealChanged, SkuSalesChanged, VoucherDefined
from flowmart.contracts.shipping import (
    DeliveryFailed,
    ReturnInitiated,
    ReturnReceived,
    ShipmentCreated,
    ShipmentDelivered,
    ShipmentDispatched,
    ShipmentInTransit,
    ShipmentVoided,
    ShippingRatesPublished,
)
from flowmart.contracts.subscriptions import SubscriptionRenewalDue, UserSubscriptionCancelled
from flowmart.events.base import GIVEN
from flowmart.events.registry import subscriber_id

from . import privacy, promotions
from .services import changes, guests, lifecycle, projections, renewals, returns, shipments, staff, vouchers


@subscriber_id("orders.keep_variant")
def keep_variant(ev: ProductPublished) -> None:
    projections.apply_product_published(ev)


@subscriber_id("orders.keep_product_category")
def keep_product_category(ev: ProductPublished) -> None:
    vouchers.keep_product_category(ev)


@subscriber_id("orders.keep_voucher")
def keep_voucher(ev: VoucherDefined) -> None:
    vouchers.keep_definition(ev)


@subscriber_id("orders.give_back_vouchers")
def give_back_vouchers(ev: OrderCancelled) -> None:
    """A released order (cancelled for any reason: customer, payment failed, expired...)
    gives its voucher uses back; idempotent, so a redelivery gives nothing twice."""
    vouchers.release(ev.order_id, ev.reason)


@subscriber_id("orders.keep_price")
def keep_price(ev: VariantPriceChanged) -> None:
    projections.apply_price_change(ev)


@subscriber_id("orders.keep_seller_staff")
def keep_seller_staff(ev: SellerStaffChanged) -> None:
    projections.apply_seller_staff(ev)


@subscriber_id("orders.retire_variants")
def retire_variants(ev: ProductRetired) -> None:
    projections.apply_product_retired(ev)


@subscriber_id("orders.keep_availability")
def keep_availability(ev: InventoryAdjusted) -> None:
    projections.apply_stock_levels(ev)


@subscriber_id("orders.keep_sold_out")
def keep_sold_out(ev: OutOfStock) -> None:
    projections.apply_sold_out(ev)


@subscriber_id("orders.keep_shipping_rates")
def keep_shipping_rates(ev: ShippingRatesPublished) -> None:
    projections.apply_shipping_rates(ev)


@subscriber_id("orders.keep_address")
def keep_address(ev: CustomerAddressSaved) -> None:
    projections.apply_address_saved(ev)


@subscriber_id("orders.forget_address")
def forget_address(ev: CustomerAddressDeleted) -> None:
    projections.apply_address_deleted(ev)


@subscriber_id("orders.on_stock_reserved")
def on_stock_reserved(ev: InventoryAdjusted) -> None:
    if ev.amendment_id:
        changes.amendment_reserved(ev.order_id, ev.amendment_id)
    else:
        lifecycle.stock_reserved(ev.order_id)


@subscriber_id("orders.on_out_of_stock")
def on_out_of_stock(ev: OutOfStock) -> None:
    if ev.amendment_id:
        changes.amendment_refused(ev.order_id, ev.amendment_id, ev.skus)
    else:
        lifecycle.stock_refused(ev.order_id, ev.skus)


@subscriber_id("orders.on_payment_processed")
def on_payment_processed(ev: PaymentProcessed) -> None:
    if ev.amendment_id:
        lifecycle.amendment_payment(ev.order_id, ev.amendment_id, ev.status == "succeeded", ev.amount, ev.failure_code)
    else:
        lifecycle.payment_processed(ev.order_id, ev.payment_id, ev.status == "succeeded", ev.amount, ev.failure_code)


@subscriber_id("orders.on_payment_held")
def on_payment_held(ev: PaymentHeldForReview) -> None:
    lifecycle.payment_held(ev.order_id, ev.score)


@subscriber_id("orders.on_payment_action_required")
def on_payment_action_required(ev: PaymentActionRequired) -> None:
    lifecycle.payment_needs_action(ev.order_id, ev.next_action_url, ev.client_secret, ev.provider)


@subscriber_id("orders.on_payment_refunded")
def on_payment_refunded(ev: PaymentRefunded) -> None:
    lifecycle.payment_refunded(ev.order_id, ev.amount, ev.reason, ev.fully_refunded)
    staff.refund_settled(ev.reference)


@subscriber_id("orders.on_payment_disputed")
def on_payment_disputed(ev: PaymentDisputed) -> None:
    lifecycle.payment_disputed(ev.order_id, ev.amount, ev.reason)


@subscriber_id("orders.on_reservation_expired")
def on_reservation_expired(ev: ReservationExpired) -> None:
    lifecycle.reservation_expired(ev.order_id)


@subscriber_id("orders.on_shipment_created")
def on_shipment_created(ev: ShipmentCreated) -> None:
    shipments.shipment_changed(
        ev.order_id,
        ev.shipment_id,
        "created",
        warehouse=ev.warehouse_code,
        carrier=ev.carrier,
        tracking_number=ev.tracking_number,
        tracking_url=ev.tracking_url,
        skus=sorted({line.sku for line in ev.lines}),
    )


@subscriber_id("orders.on_shipment_dispatched")
def on_shipment_dispatched(ev: ShipmentDispatched) -> None:
    shipments.shipment_changed(
        ev.order_id,
        ev.shipment_id,
        "dispatched",
        place=ev.warehouse_code,
        at=ev.occurred_at,
        warehouse=ev.warehouse_code,
        carrier=ev.carrier,
        tracking_number=ev.tracking_number,
        tracking_url=ev.tracking_url,
    )


@subscriber_id("orders.on_shipment_in_transit")
def on_shipment_in_transit(ev: ShipmentInTransit) -> None:
    shipments.shipment_changed(ev.order_id, ev.shipment_id, "in_transit", place=ev.location, at=ev.at or ev.occurred_at)


@subscriber_id("orders.on_shipment_delivered")
def on_shipment_delivered(ev: ShipmentDelivered) -> None:
    shipments.shipment_changed(ev.order_id, ev.shipment_id, "delivered", place=ev.location, at=ev.at or ev.occurred_at)


@subscriber_id("orders.on_delivery_failed")
def on_delivery_failed(ev: DeliveryFailed) -> None:
    shipments.shipment_changed(
        ev.order_id, ev.shipment_id, "delivery_failed", reason=ev.reason, place=ev.location, at=ev.at or ev.occurred_at
    )


@subscriber_id("orders.on_shipment_voided")
def on_shipment_voided(ev: ShipmentVoided) -> None:
    shipments.shipment_changed(ev.order_id, ev.shipment_id, "voided")


@subscriber_id("orders.on_return_initiated")
def on_return_initiated(ev: ReturnInitiated) -> None:
    returns.return_initiated(ev.return_id, ev.tracking_number, ev.label_url)


@subscriber_id("orders.on_return_received")
def on_return_received(ev: ReturnReceived) -> None:
    returns.return_received(ev.order_id, ev.return_id, [(line.sku, line.quantity) for line in ev.lines])


@subscriber_id("orders.on_renewal_due")
def on_renewal_due(ev: SubscriptionRenewalDue) -> None:
    renewals.renewal_due(ev)


@subscriber_id("orders.on_subscription_cancelled")
def on_subscription_cancelled(ev: UserSubscriptionCancelled) -> None:
    renewals.subscription_cancelled(ev.subscription_id)


@subscriber_id("orders.keep_sale_offers")
def keep_sale_offers(ev: SkuSalesChanged) -> None:
    promotions.apply_sales(ev)


@subscriber_id("orders.keep_deal")
def keep_deal(ev: LightningDealChanged) -> None:
    promotions.apply_deal(ev)


@subscriber_id("orders.release_deal_units")
def release_deal_units(ev: OrderCancelled) -> None:
    """A cancelled or expired order gives its lightning-deal units back (once)."""
    promotions.release_deals(ev.order_id, ev.reason)


@subscriber_id("orders.merge_guest_cart")
def merge_guest_cart(ev: CustomerSignedIn) -> None:
    guests.merge_guest_cart(ev.customer_id, ev.cart_token)


@subscriber_id("orders.claim_guest_orders")
def claim_guest_orders(ev: CustomerRegistered) -> None:
    guests.claim_guest_orders(ev.customer_id, ev.email)


@subscriber_id("orders.erase_personal_data")
def erase_personal_data(ev: CustomerErased) -> None:
    privacy.erase_customer(ev.customer_id)


SUBSCRIBERS = {
    CustomerErased: [erase_personal_data],
    CustomerSignedIn: [merge_guest_cart],
    CustomerRegistered: [claim_guest_orders],
    ProductPublished: [keep_variant, keep_product_category],
    VoucherDefined: [keep_voucher],
    VariantPriceChanged: [keep_price],
    SellerStaffChanged: [keep_seller_staff],
    ProductRetired: [retire_variants],
    ShippingRatesPublished: [keep_shipping_rates],
    CustomerAddressSaved: [keep_address],
    CustomerAddressDeleted: [forget_address],
    InventoryAdjusted: [keep_availability],
    InventoryAdjusted.where(reason="reserved", order_id=GIVEN): [on_stock_reserved],
    OutOfStock.where(order_id=None): [keep_sold_out],  # a SKU reached zero
    OutOfStock.where(order_id=GIVEN): [on_out_of_stock],  # an order's reservation was refused
    ReservationExpired: [on_reservation_expired],
    PaymentProcessed: [on_payment_processed],
    PaymentHeldForReview: [on_payment_held],
    PaymentActionRequired: [on_payment_action_required],
    PaymentRefunded: [on_payment_refunded],
    PaymentDisputed: [on_payment_disputed],
    ShipmentCreated: [on_shipment_created],
    ShipmentDispatched: [on_shipment_dispatched],
    ShipmentInTransit: [on_shipment_in_transit],
    ShipmentDelivered: [on_shipment_delivered],
    DeliveryFailed: [on_delivery_failed],
    ShipmentVoided: [on_shipment_voided],
    ReturnInitiated: [on_return_initiated],
    ReturnReceived: [on_return_received],
    SubscriptionRenewalDue: [on_renewal_due],
    UserSubscriptionCancelled: [on_subscription_cancelled],
    SkuSalesChanged: [keep_sale_offers],
    LightningDealChanged: [keep_deal],
    OrderCancelled: [give_back_vouchers, release_deal_units],
}
