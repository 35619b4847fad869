"""Event subscribers of this context: the SUBSCRIBERS mapping is its whole wiring.
Each @subscriber_id is stored on deliveries and inbox rows: never change a released one."""

import logging

from flowmart.contracts.catalog import ProductPublished, ProductRetired, SellerStaffChanged, VariantPriceChanged
from flowmart.contracts.orders import VoucherRedeemed, VoucherReleased
from flowmart.contracts.promotions import DealUnitsClaimed, DealUnitsReleased
from flowmart.events.registry import subscriber_id

from .models import SellerStaff
from .services import catalogue, deals, vouchers

logger = logging.getLogger("flowmart.promotions")


@subscriber_id("promotions.keep_product")
def keep_product(ev: ProductPublished) -> None:
    catalogue.apply_product_published(ev)


@subscriber_id("promotions.keep_price")
def keep_price(ev: VariantPriceChanged) -> None:
    catalogue.apply_price_change(ev)


@subscriber_id("promotions.retire_product")
def retire_product(ev: ProductRetired) -> None:
    catalogue.apply_product_retired(ev)


@subscriber_id("promotions.keep_seller_staff")
def keep_seller_staff(ev: SellerStaffChanged) -> None:
    if not SellerStaff.apply(ev.user_id, ev.seller_ids, ev.occurred_at):
        logger.info("stale SellerStaffChanged for user %s ignored", ev.user_id)


@subscriber_id("promotions.count_claimed_units")
def count_claimed_units(ev: DealUnitsClaimed) -> None:
    deals.units_counted(ev)


@subscriber_id("promotions.count_released_units")
def count_released_units(ev: DealUnitsReleased) -> None:
    deals.units_counted(ev)


@subscriber_id("promotions.record_voucher_use")
def record_voucher_use(ev: VoucherRedeemed) -> None:
    vouchers.record_redeemed(ev)


@subscriber_id("promotions.record_voucher_release")
def record_voucher_release(ev: VoucherReleased) -> None:
    vouchers.record_released(ev)


SUBSCRIBERS: dict = {
    ProductPublished: [keep_product],
    VariantPriceChanged: [keep_price],
    ProductRetired: [retire_product],
    SellerStaffChanged: [keep_seller_staff],
    DealUnitsClaimed: [count_claimed_units],
    DealUnitsReleased: [count_released_units],
    VoucherRedeemed: [record_voucher_use],
    VoucherReleased: [record_voucher_release],
}
