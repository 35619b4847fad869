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
class PasswordResetRequested(Event):
    """Someone asked for a password reset of an existing account: email it a link. The token is
    `sealed_token` (flowmart.common.sealing, purpose "password_reset"): the outbox holds only
    ciphertext, customers only the token's hash. The link stops working at `expires_at`."""

    customer_id: int
    email: str
    locale: str
    sealed_token: str
    expires_at: datetime
    first_name: str = ""


@event
class EmailChangeRequested(Event):
    """The customer asked to move their account to `new_email`: send that address a
    confirmation link (sealed like PasswordResetRequested's, purpose "email_change"). The change
    happens on confirmation (then CustomerContactChanged, which tells the old address)."""

    customer_id: int
    new_email: str
    current_email: str
    locale: str
    sealed_token: str
    expires_at: datetime
    first_name: str = ""


@event
class PasswordChanged(Event):
    """The password was changed (`how`: "changed" with the current one, "reset" through an
    emailed link); every API token of the account was revoked in the same transaction."""

    customer_id: int
    email: str
    locale: str
    how: str
    first_name: str = ""


@event
class CustomerSignedIn(Event):
    """A customer logged in (or registered) carrying a guest cart's token (X-Cart-Token):
    orders merges that cart into the customer's."""

    customer_id: int
    cart_token: str


@event
class CustomerErased(Event):
    """The customer's personal data was erased (at their request, or by retention once their
    account was closed long enough): every context anonymises or deletes its own copies,
    projections included, keeping what accounting needs (amounts, SKUs, dates). The email is
    not carried, only `email_hash` (flowmart.common.privacy.email_hash); `reason` is "request"
    or "retention"."""

    customer_id: int
    email_hash: str
    reason: str = "request"
