"""Event subscribers of this context: the SUBSCRIBERS mapping is its whole wiring.
Names are stable ("subscriptions.<function>"): never rename one once written."""

from flowmart.contracts.catalog import ProductPublished, ProductRetired, SellerStaffChanged, VariantPriceChanged
from flowmart.contracts.customers import CustomerAddressDeleted, CustomerAddressSaved, CustomerErased
from flowmart.contracts.orders import OrderStatusChanged, RenewalLinesLeftOut
from flowmart.contracts.payments import PaymentProcessed
from flowmart.contracts.shipping import ShippingRatesPublished
from flowmart.events.base import GIVEN

from . import privacy
from .models import SellerStaff
from .services import dunning, projections


def keep_variant(ev: ProductPublished) -> None:
    projections.product_published(ev)


def keep_price(ev: VariantPriceChanged) -> None:
    projections.price_changed(ev)


def retire_variants(ev: ProductRetired) -> None:
    projections.product_retired(ev)


def keep_address(ev: CustomerAddressSaved) -> None:
    projections.address_saved(ev)


def forget_address(ev: CustomerAddressDeleted) -> None:
    projections.address_deleted(ev)


def keep_shipping_methods(ev: ShippingRatesPublished) -> None:
    projections.shipping_rates_published(ev)


def keep_seller_staff(ev: SellerStaffChanged) -> None:
    SellerStaff.apply(ev.user_id, ev.seller_ids, ev.occurred_at)


def on_renewal_payment(ev: PaymentProcessed) -> None:
    """Renewal orders only (they carry a renewal key); amendment charges are not renewals."""
    dunning.payment_processed(ev.renewal_key, ev.order_id, ev.status == "succeeded", ev.failure_code)


def on_renewal_order_changed(ev: OrderStatusChanged) -> None:
    dunning.order_changed(ev.renewal_key, ev.order_id, ev.status, ev.cancellation_reason)


def on_renewal_lines_left_out(ev: RenewalLinesLeftOut) -> None:
    dunning.lines_left_out(ev.renewal_key, ev.order_id, ev.lines, ev.reason)


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
