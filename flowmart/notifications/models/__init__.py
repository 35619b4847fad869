"""Notification state: the messages (one row per event, recipient, channel and message
type), what customers asked for (preferences, push subscriptions, back-in-stock requests),
and the projections of other contexts' data the messages need."""

from .messages import Message
from .preferences import BackInStockRequest, Preference, PushSubscription
from .projections import (
    CustomerContact,
    OrderCopy,
    ProductCopy,
    ReportedDeadDelivery,
    SellerContact,
    ShipmentCopy,
    SkuCopy,
    StockAlert,
    SubscriptionCopy,
)

__all__ = [
    "BackInStockRequest",
    "CustomerContact",
    "Message",
    "OrderCopy",
    "Preference",
    "ProductCopy",
    "PushSubscription",
    "ReportedDeadDelivery",
    "SellerContact",
    "ShipmentCopy",
    "SkuCopy",
    "StockAlert",
    "SubscriptionCopy",
]
