"""Promotions' tables, one module per capability (vouchers.py: voucher codes)."""

from .vouchers import Voucher, VoucherSellerStaff, VoucherUse

__all__ = ["Voucher", "VoucherSellerStaff", "VoucherUse"]
