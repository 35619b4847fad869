"""Event subscribers of this context: the SUBSCRIBERS mapping is its whole wiring.

One handler per event: it updates the local copies the event carries and writes the
messages it causes, in the dispatcher's transaction (with its inbox row). Each
@subscriber_id is stored on deliveries and inbox rows: never change a released one.
Nothing here sends; sending runs after commit (services.sending).
"""

from flowmart.contracts.catalog import ProductPublished, ProductRetired, SellerChanged
from flowmart.contracts.customers import (
    CustomerContactChanged,
    CustomerErased,
    CustomerRegistered,
    EmailChangeRequested,
    PasswordChanged,
    PasswordResetRequested,
)
from flowmart.contracts.inventory import NON_RESERVATION_REASONS, InventoryAdjusted, LowStock, OutOfStock
from flowmart.contracts.orders import (
    NotificationResendRequested,
    OrderAmended,
    OrderClaimed,
    OrderConfirmed,
    OrderStatusChanged,
)
from flowmart.contracts.payments import (
    PaymentActionRequired,
    PaymentDisputed,
    PaymentHeldForReview,
    PaymentProcessed,
    PaymentRefunded,
)
from flowmart.contracts.shipping import (
    DeliveryFailed,
    ReturnInitiated,
    ReturnReceived,
    ShipmentCreated,
    ShipmentDelivered,
    ShipmentDispatched,
    ShipmentInTransit,
)
from flowmart.contracts.subscriptions import (
    SubscriptionRenewalFailed,
    SubscriptionRenewalUpcoming,
    UserSubscriptionCancelled,
    UserSubscriptionStarted,
)
from flowmart.events.registry import subscriber_id

from . import privacy
from .services import back_in_stock, customer_messages, order_resends, projections, staff_messages

# --- who is who: copies of other contexts' data ------------------------------------------


@subscriber_id("notifications.keep_customer")
def keep_customer(ev: CustomerRegistered) -> None:
    projections.keep_customer(ev.customer_id, ev.occurred_at, email=ev.email, first_name=ev.first_name)


@subscriber_id("notifications.on_contact_changed")
def on_contact_changed(ev: CustomerContactChanged) -> None:
    projections.keep_customer(
        ev.customer_id, ev.occurred_at, email=ev.email, phone=ev.phone, locale=ev.locale, first_name=ev.first_name
    )
    customer_messages.contact_changed(ev)


@subscriber_id("notifications.on_password_reset_requested")
def on_password_reset_requested(ev: PasswordResetRequested) -> None:
    customer_messages.password_reset_requested(ev)


@subscriber_id("notifications.on_email_change_requested")
def on_email_change_requested(ev: EmailChangeRequested) -> None:
    customer_messages.email_change_requested(ev)


@subscriber_id("notifications.on_password_changed")
def on_password_changed(ev: PasswordChanged) -> None:
    customer_messages.password_changed(ev)


@subscriber_id("notifications.keep_product")
def keep_product(ev: ProductPublished) -> None:
    projections.keep_product(ev)


@subscriber_id("notifications.retire_product")
def retire_product(ev: ProductRetired) -> None:
    projections.retire_product(ev)


@subscriber_id("notifications.keep_seller")
def keep_seller(ev: SellerChanged) -> None:
    projections.keep_seller(ev)


@subscriber_id("notifications.keep_order")
def keep_order(ev: OrderConfirmed) -> None:
    projections.keep_order(ev)


@subscriber_id("notifications.keep_claimed_order")
def keep_claimed_order(ev: OrderClaimed) -> None:
    """A guest's order joined an account: its messages go to the customer (their channels and
    preferences, their account's order page), and erasing the customer erases its copy."""
    projections.keep_order_owner(ev.order_id, ev.customer_id, ev.email)


@subscriber_id("notifications.keep_shipment")
def keep_shipment(ev: ShipmentCreated) -> None:
    projections.keep_shipment(ev)


# --- customers: orders and payments -------------------------------------------------------


@subscriber_id("notifications.on_payment_processed")
def on_payment_processed(ev: PaymentProcessed) -> None:
    customer_messages.payment_processed(ev)


@subscriber_id("notifications.on_payment_action_required")
def on_payment_action_required(ev: PaymentActionRequired) -> None:
    customer_messages.payment_action_required(ev)


@subscriber_id("notifications.on_payment_refunded")
def on_payment_refunded(ev: PaymentRefunded) -> None:
    customer_messages.payment_refunded(ev)


@subscriber_id("notifications.on_order_status_changed")
def on_order_status_changed(ev: OrderStatusChanged) -> None:
    """A cancellation: its message, and the copy's status that keeps a payment failing after
    it from sending a second story (the only status read here: see SUBSCRIBERS)."""
    projections.keep_order_status(ev)
    customer_messages.order_status_changed(ev)


@subscriber_id("notifications.on_order_amended")
def on_order_amended(ev: OrderAmended) -> None:
    projections.keep_amended_order(ev)
    customer_messages.order_amended(ev)


# --- customers: shipping and returns ------------------------------------------------------


@subscriber_id("notifications.on_shipment_dispatched")
def on_shipment_dispatched(ev: ShipmentDispatched) -> None:
    projections.keep_shipment(ev)
    customer_messages.shipment_update(ev, "shipment_dispatched")


@subscriber_id("notifications.on_shipment_in_transit")
def on_shipment_in_transit(ev: ShipmentInTransit) -> None:
    customer_messages.shipment_update(ev, "shipment_in_transit", {"location": ev.location})


@subscriber_id("notifications.on_shipment_delivered")
def on_shipment_delivered(ev: ShipmentDelivered) -> None:
    customer_messages.shipment_update(ev, "shipment_delivered")


@subscriber_id("notifications.on_delivery_failed")
def on_delivery_failed(ev: DeliveryFailed) -> None:
    customer_messages.shipment_update(ev, "delivery_failed", {"reason": ev.reason})


@subscriber_id("notifications.on_return_initiated")
def on_return_initiated(ev: ReturnInitiated) -> None:
    customer_messages.return_initiated(ev)


@subscriber_id("notifications.on_return_received")
def on_return_received(ev: ReturnReceived) -> None:
    customer_messages.return_received(ev)


# --- customers: subscriptions ---------------------------------------------------------------


@subscriber_id("notifications.on_subscription_started")
def on_subscription_started(ev: UserSubscriptionStarted) -> None:
    projections.keep_subscription(ev)
    customer_messages.subscription_started(ev)


@subscriber_id("notifications.on_renewal_upcoming")
def on_renewal_upcoming(ev: SubscriptionRenewalUpcoming) -> None:
    customer_messages.renewal_upcoming(ev)


@subscriber_id("notifications.on_renewal_failed")
def on_renewal_failed(ev: SubscriptionRenewalFailed) -> None:
    customer_messages.renewal_failed(ev)


@subscriber_id("notifications.on_subscription_cancelled")
def on_subscription_cancelled(ev: UserSubscriptionCancelled) -> None:
    customer_messages.subscription_cancelled(ev)


# --- stock: back in stock, sellers' alerts ---------------------------------------------------


@subscriber_id("notifications.on_stock_changed")
def on_stock_changed(ev: InventoryAdjusted) -> None:
    """A stock report that may bring a waited-for SKU back (never a reservation: see SUBSCRIBERS)."""
    back_in_stock.stock_changed(ev)


@subscriber_id("notifications.on_sold_out")
def on_sold_out(ev: OutOfStock) -> None:
    """A SKU reached zero (subscribed without an order: with one it is a refused reservation)."""
    projections.mark_sold_out(ev.skus, ev.occurred_at)
    staff_messages.record_sold_out(ev)


@subscriber_id("notifications.on_low_stock")
def on_low_stock(ev: LowStock) -> None:
    staff_messages.record_low_stock(ev)


# --- operations -------------------------------------------------------------------------------


@subscriber_id("notifications.on_payment_held")
def on_payment_held(ev: PaymentHeldForReview) -> None:
    staff_messages.fraud_review(ev)


@subscriber_id("notifications.on_payment_disputed")
def on_payment_disputed(ev: PaymentDisputed) -> None:
    staff_messages.payment_disputed(ev)


@subscriber_id("notifications.on_resend_requested")
def on_resend_requested(ev: NotificationResendRequested) -> None:
    order_resends.resend_for_order(ev)


@subscriber_id("notifications.erase_personal_data")
def erase_personal_data(ev: CustomerErased) -> None:
    privacy.erase_customer(ev.customer_id)


SUBSCRIBERS = {
    CustomerErased: [erase_personal_data],
    CustomerRegistered: [keep_customer],
    CustomerContactChanged: [on_contact_changed],
    PasswordResetRequested: [on_password_reset_requested],
    EmailChangeRequested: [on_email_change_requested],
    PasswordChanged: [on_password_changed],
    ProductPublished: [keep_product],
    ProductRetired: [retire_product],
    SellerChanged: [keep_seller],
    OrderConfirmed: [keep_order],
    OrderClaimed: [keep_claimed_order],
    # Only a cancellation writes a message, and the copy's status is read only as "cancelled or
    # not" (customer_messages._cancelled_for_another_reason); who the order is for comes from
    # OrderConfirmed and OrderClaimed. So a checkout's awaiting_payment and paid reach nobody here.
    OrderStatusChanged.where(status="cancelled"): [on_order_status_changed],
    OrderAmended: [on_order_amended],
    NotificationResendRequested: [on_resend_requested],
    PaymentProcessed: [on_payment_processed],
    PaymentActionRequired: [on_payment_action_required],
    PaymentRefunded: [on_payment_refunded],
    PaymentHeldForReview: [on_payment_held],
    PaymentDisputed: [on_payment_disputed],
    ShipmentCreated: [keep_shipment],
    ShipmentDispatched: [on_shipment_dispatched],
    ShipmentInTransit: [on_shipment_in_transit],
    ShipmentDelivered: [on_shipment_delivered],
    DeliveryFailed: [on_delivery_failed],
    ReturnInitiated: [on_return_initiated],
    ReturnReceived: [on_return_received],
    UserSubscriptionStarted: [on_subscription_started],
    SubscriptionRenewalUpcoming: [on_renewal_upcoming],
    SubscriptionRenewalFailed: [on_renewal_failed],
    UserSubscriptionCancelled: [on_subscription_cancelled],
    # The availability copy is read only as "in stock or not" (notify-me, back in stock): a
    # reservation never brings a SKU back, and its taking the last unit comes as OutOfStock.
    InventoryAdjusted.where(reason=NON_RESERVATION_REASONS): [on_stock_changed],
    OutOfStock.where(order_id=None): [on_sold_out],
    LowStock: [on_low_stock],
}
