"""Promotions events: catalogue sales, lightning deals and vouchers."""
