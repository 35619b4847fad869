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


@event
class CustomerContactChanged(Event):
    """How to reach the customer changed (sent whole, so it is an upsert): email, phone
    (E.164, "" for none) and the locale messages are written in. `changed` names the fields
    that changed; `previous_email` is set when the email did (security notices go there too)."""

    customer_id: int
    email: str
    phone: str
    locale: str
    first_name: str = ""
    changed: tuple[str, ...] = ()
    previous_email: str = ""


@event
class CustomerSignedIn(Event):
    """A customer logged in (or registered) carrying a guest cart's token (X-Cart-Token):
    orders merges that cart into the customer's."""

    customer_id: int
    cart_token: str
