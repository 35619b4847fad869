"""Promotions back office: one module per capability, each registering its own screens."""

from . import sales, vouchers  # noqa: F401 - registers their screens
