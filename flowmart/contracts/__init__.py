"""The published language between contexts: one module per publishing context.

These dataclasses, flowmart.events and flowmart.common are the only things a
context app may import from outside itself (import-linter checks it).
"""

from . import catalog, customers, inventory, orders, payments, shipping, subscriptions  # noqa: F401
