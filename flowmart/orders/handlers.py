"""Event subscribers of this context: the SUBSCRIBERS mapping is its whole wiring.

Each handler translates one event into one service call. Names are stable
("orders.<function>"): never rename one once written.
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

from . import privacy, promotions
from .services import changes, guests, lifecycle, projections, renewals, returns, shipments, staff, vouchers


def keep_variant(ev: ProductPublished) -> None:
    projections.apply_product_published(ev)


def keep_product_category(ev: ProductPublished) -> None:
    vouchers.keep_product_category(ev)


def keep_voucher(ev: VoucherDefined) -> None:
    vouchers.keep_definition(ev)


def give_back_vouchers(ev: OrderCancelled) -> None:
    """A released order (cancelled for any reason: customer, payment failed, expired...)
    gives its voucher uses back; idempotent, so a redelivery gives nothing twice."""
    vouchers.release(ev.order_id, ev.reason)


def keep_price(ev: VariantPriceChanged) -> None:
    projections.apply_price_change(ev)


def keep_seller_staff(ev: SellerStaffChanged) -> None:
    projections.apply_seller_staff(ev)


def retire_variants(ev: ProductRetired) -> None:
    projections.apply_product_retired(ev)


def keep_availability(ev: InventoryAdjusted) -> None:
    projections.apply_stock_levels(ev)


def keep_sold_out(ev: OutOfStock) -> None:
    projections.apply_sold_out(ev)


def keep_shipping_rates(ev: ShippingRatesPublished) -> None:
    projections.apply_shipping_rates(ev)


def keep_address(ev: CustomerAddressSaved) -> None:
    projections.apply_address_saved(ev)


def forget_address(ev: CustomerAddressDeleted) -> None:
    projections.apply_address_deleted(ev)


def on_stock_reserved(ev: InventoryAdjusted) -> None:
    if ev.amendment_id:
        changes.amendment_reserved(ev.order_id, ev.amendment_id)
    else:
        lifecycle.stock_reserved(ev.order_id)


def on_out_of_stock(ev: OutOfStock) -> None:
    if ev.amendment_id:
        changes.amendment_refused(ev.order_id, ev.amendment_id, ev.skus)
    else:
        lifecycle.stock_refused(ev.order_id, ev.skus)


def on_payment_processed(ev: PaymentProcessed) -> None:
    if ev.amendment_id:
        lifecycle.amendment_payment(ev.order_id, ev.amendment_id, ev.status == "succeeded", ev.amount, ev.failure_code)
    else:
        lifecycle.payment_processed(ev.order_id, ev.payment_id, ev.status == "succeeded", ev.amount, ev.failure_code)


def on_payment_held(ev: PaymentHeldForReview) -> None:
    lifecycle.payment_held(ev.order_id, ev.score)


def on_payment_action_required(ev: PaymentActionRequired) -> None:
    lifecycle.payment_needs_action(ev.order_id, ev.next_action_url, ev.client_secret, ev.provider)


def on_payment_refunded(ev: PaymentRefunded) -> None:
    lifecycle.payment_refunded(ev.order_id, ev.amount, ev.reason, ev.fully_refunded)
    staff.refund_settled(ev.reference)


def on_payment_disputed(ev: PaymentDisputed) -> None:
    lifecycle.payment_disputed(ev.order_id, ev.amount, ev.reason)


def on_reservation_expired(ev: ReservationExpired) -> None:
    lifecycle.reservation_expired(ev.order_id)


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


def on_shipment_in_transit(ev: ShipmentInTransit) -> None:
    shipments.shipment_changed(ev.order_id, ev.shipment_id, "in_transit", place=ev.location, at=ev.at or ev.occurred_at)


def on_shipment_delivered(ev: ShipmentDelivered) -> None:
    shipments.shipment_changed(ev.order_id, ev.shipment_id, "delivered", place=ev.location, at=ev.at or ev.occurred_at)


def on_delivery_failed(ev: DeliveryFailed) -> None:
    shipments.shipment_changed(
        ev.order_id, ev.shipment_id, "delivery_failed", reason=ev.reason, place=ev.location, at=ev.at or ev.occurred_at
    )


def on_shipment_voided(ev: ShipmentVoided) -> None:
    shipments.shipment_changed(ev.order_id, ev.shipment_id, "voided")


def on_return_initiated(ev: ReturnInitiated) -> None:
    returns.return_initiated(ev.return_id, ev.tracking_number, ev.label_url)


def on_return_received(ev: ReturnReceived) -> None:
    returns.return_received(ev.order_id, ev.return_id, [(line.sku, line.quantity) for line in ev.lines])


def on_renewal_due(ev: SubscriptionRenewalDue) -> None:
    renewals.renewal_due(ev)


def on_subscription_cancelled(ev: UserSubscriptionCancelled) -> None:
    renewals.subscription_cancelled(ev.subscription_id)


def keep_sale_offers(ev: SkuSalesChanged) -> None:
    promotions.apply_sales(ev)


def keep_deal(ev: LightningDealChanged) -> None:
    promotions.apply_deal(ev)


def release_deal_units(ev: OrderCancelled) -> None:
    """A cancelled or expired order gives its lightning-deal units back (once)."""
    promotions.release_deals(ev.order_id, ev.reason)


def merge_guest_cart(ev: CustomerSignedIn) -> None:
    guests.merge_guest_cart(ev.customer_id, ev.cart_token)


def claim_guest_orders(ev: CustomerRegistered) -> None:
    guests.claim_guest_orders(ev.customer_id, ev.email)


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
