from datetime import datetime

from flowmart.events.base import Event, event

from .common import Address


@event
class CustomerRegistered(Event):
    customer_id: int
    email: str
    first_name: str
    last_name: str
    joined_at: datetime


@event
class CustomerAddressSaved(Event):
    """An address-book entry was added or changed (sent whole, so it is an upsert):
    contexts that accept a `shipping_address_id` keep their own copy from it."""

    customer_id: int
    address_id: int
    address: Address


@event
class CustomerAddressDeleted(Event):
    customer_id: int
    address_id: int
