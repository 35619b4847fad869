"""Promotions in the admin, one module per capability (vouchers.py)."""

from . import vouchers  # noqa: F401 - registers its screens
