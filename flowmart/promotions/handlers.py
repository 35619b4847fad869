"""Event subscribers of this context: the SUBSCRIBERS mapping is its whole wiring.
Names are stable ("promotions.<function>"): never rename one once written."""

import logging

from flowmart.contracts.catalog import SellerStaffChanged
from flowmart.contracts.orders import VoucherRedeemed, VoucherReleased

from .models import VoucherSellerStaff
from .services import vouchers

logger = logging.getLogger(__name__)


def record_voucher_use(ev: VoucherRedeemed) -> None:
    vouchers.record_redeemed(ev)


def record_voucher_release(ev: VoucherReleased) -> None:
    vouchers.record_released(ev)


def keep_voucher_seller_staff(ev: SellerStaffChanged) -> None:
    if not VoucherSellerStaff.apply(ev.user_id, ev.seller_ids, ev.occurred_at):
        logger.info("stale SellerStaffChanged for user %s ignored", ev.user_id)


SUBSCRIBERS: dict = {
    VoucherRedeemed: [record_voucher_use],
    VoucherReleased: [record_voucher_release],
    SellerStaffChanged: [keep_voucher_seller_staff],
}
