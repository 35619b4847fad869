"""Promotions back office: one module per capability, each registering its own screens."""

from . import sales  # noqa: F401
