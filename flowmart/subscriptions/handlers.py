"""Event subscribers of this context: the SUBSCRIBERS mapping is its whole wiring.
Each @subscriber_id is stored on deliveries and inbox rows: never change a released one."""

from flowmart.contracts.catalog import ProductPublished, ProductRetired, SellerStaffChanged, VariantPriceChanged
from flowmart.contracts.customers import CustomerAddressDeleted, CustomerAddressSaved, CustomerErased
from flowmart.contracts.orders import OrderStatusChanged, RenewalLinesLeftOut
from flowmart.contracts.payments import PaymentProcessed
from flowmart.contracts.shipping import ShippingRatesPublished
from flowmart.events.base import GIVEN
from flowmart.events.registry import subscriber_id

from . import privacy
from .models import SellerStaff
from .services import dunning, projections


@subscriber_id("subscriptions.keep_variant")
def keep_variant(ev: ProductPublished) -> None:
    projections.product_published(ev)


@subscriber_id("subscriptions.keep_price")
def keep_price(ev: VariantPriceChanged) -> None:
    projections.price_changed(ev)


@subscriber_id("subscriptions.retire_variants")
def retire_variants(ev: ProductRetired) -> None:
    projections.product_retired(ev)


@subscriber_id("subscriptions.keep_address")
def keep_address(ev: CustomerAddressSaved) -> None:
    projections.address_saved(ev)


@subscriber_id("subscriptions.forget_address")
def forget_address(ev: CustomerAddressDeleted) -> None:
    projections.address_deleted(ev)


@subscriber_id("subscriptions.keep_shipping_methods")
def keep_shipping_methods(ev: ShippingRatesPublished) -> None:
    projections.shipping_rates_published(ev)


@subscriber_id("subscriptions.keep_seller_staff")
def keep_seller_staff(ev: SellerStaffChanged) -> None:
    SellerStaff.apply(ev.user_id, ev.seller_ids, ev.occurred_at)


@subscriber_id("subscriptions.on_renewal_payment")
def on_renewal_payment(ev: PaymentProcessed) -> None:
    """Renewal orders only (they carry a renewal key); amendment charges are not renewals."""
    dunning.payment_processed(ev.renewal_key, ev.order_id, ev.status == "succeeded", ev.failure_code)


@subscriber_id("subscriptions.on_renewal_order_changed")
def on_renewal_order_changed(ev: OrderStatusChanged) -> None:
    dunning.order_changed(ev.renewal_key, ev.order_id, ev.status, ev.cancellation_reason)


@subscriber_id("subscriptions.on_renewal_lines_left_out")
def on_renewal_lines_left_out(ev: RenewalLinesLeftOut) -> None:
    dunning.lines_left_out(ev.renewal_key, ev.order_id, ev.lines, ev.reason)


@subscriber_id("subscriptions.erase_personal_data")
def erase_personal_data(ev: CustomerErased) -> None:
    privacy.erase_customer(ev.customer_id)


SUBSCRIBERS = {
    CustomerErased: [erase_personal_data],
    ProductPublished: [keep_variant],
    VariantPriceChanged: [keep_price],
    ProductRetired: [retire_variants],
    SellerStaffChanged: [keep_seller_staff],
    ShippingRatesPublished: [keep_shipping_methods],
    CustomerAddressSaved: [keep_address],
    CustomerAddressDeleted: [forget_address],
    PaymentProcessed.where(renewal_key=GIVEN, amendment_id=None): [on_renewal_payment],
    OrderStatusChanged.where(renewal_key=GIVEN): [on_renewal_order_changed],
    RenewalLinesLeftOut: [on_renewal_lines_left_out],
}
