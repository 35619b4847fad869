"""Writes of the customers context. Each runs in one transaction and publishes what
other contexts need to know in that same transaction."""

from django.contrib.auth import authenticate
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.exceptions import AuthenticationFailed

from flowmart.common import roles
from flowmart.common.errors import Conflict, InvalidRequest
from flowmart.contracts.common import Address as AddressValue
from flowmart.contracts.customers import (
    CustomerAddressDeleted,
    CustomerAddressSaved,
    CustomerContactChanged,
    CustomerRegistered,
    CustomerSignedIn,
)
from flowmart.events import publish

from .models import Address, ApiToken, User

EMAIL_TAKEN = "A customer with this email already exists."


def register_customer(*, email: str, password: str, first_name: str = "", last_name: str = "") -> tuple[User, str]:
    """Create the account, its first token and CustomerRegistered, all or nothing.

    The serializer already refused a taken email; the unique index catches the race
    of two registrations of the same address arriving together."""
    try:
        with transaction.atomic():
            user = User.objects.create_user(email=email, password=password, first_name=first_name, last_name=last_name)
            _, raw = ApiToken.issue(user)
            publish(
                CustomerRegistered(
                    customer_id=user.id,
                    email=user.email,
                    first_name=user.first_name,
                    last_name=user.last_name,
                    joined_at=user.date_joined,
                )
            )
    except IntegrityError:
        raise InvalidRequest(fields={"email": [EMAIL_TAKEN]}) from None
    return user, raw


def issue_token(request, *, email: str, password: str, cart_token: str = "") -> str:
    """Exchange credentials for a new Bearer token; any mismatch is the same 401. A guest
    cart's token sent along is handed over (orders merges the cart)."""
    user = authenticate(request, username=email.strip().lower(), password=password)
    if user is None:
        raise AuthenticationFailed("Invalid email or password.")
    with transaction.atomic():
        _, raw = ApiToken.issue(user)
        User.objects.filter(pk=user.pk).update(last_login=timezone.now())
        hand_over_guest_cart(user.pk, cart_token)
    return raw


def revoke_token(token: ApiToken) -> None:
    """Logout: the token stops working at once; the row stays for the audit trail."""
    with transaction.atomic():
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


CONTACT_FIELDS = ("email", "phone", "locale", "first_name")


def update_profile(user: User, **changes) -> User:
    """Save profile changes; a change to how the customer is reached (email, phone, locale,
    name) publishes CustomerContactChanged, which notifications keeps its copy from."""
    with transaction.atomic():
        previous = {field: getattr(user, field) for field in CONTACT_FIELDS}
        for field, value in changes.items():
            setattr(user, field, value)
        user.save(update_fields=list(changes))
        _contact_changed(user, previous)
    return user


def save_user(user: User) -> User:
    """Staff edits in the admin: same event as the customer's own profile change."""
    with transaction.atomic():
        stored = User.objects.filter(pk=user.pk).values(*CONTACT_FIELDS).first() if user.pk else None
        # A closed (deactivated) account starts the retention clock (docs/privacy.md).
        user.closed_at = None if user.is_active else (user.closed_at or timezone.now())
        user.save()
        if stored is not None:
            _contact_changed(user, stored)
    return user


def _contact_changed(user: User, previous: dict) -> None:
    changed = tuple(field for field in CONTACT_FIELDS if getattr(user, field) != previous[field])
    if not changed:
        return
    publish(
        CustomerContactChanged(
            customer_id=user.id,
            email=user.email,
            phone=user.phone,
            locale=user.locale,
            first_name=user.first_name,
            changed=changed,
            previous_email=previous["email"] if "email" in changed else "",
        )
    )


def _address_saved(address: Address) -> CustomerAddressSaved:
    return CustomerAddressSaved(
        customer_id=address.customer_id,
        address_id=address.id,
        address=AddressValue(
            name=address.name,
            line1=address.line1,
            line2=address.line2,
            city=address.city,
            postal_code=address.postal_code,
            country=address.country,
            phone=address.phone,
            region=address.region,
        ),
    )


def save_address(address: Address) -> Address:
    """Store a new or edited address-book entry and tell the other contexts (the admin uses it too)."""
    with transaction.atomic():
        address.save()
        publish(_address_saved(address))
    return address


def add_address(customer: User, **fields) -> Address:
    return save_address(Address(customer=customer, **fields))


def update_address(address: Address, **changes) -> Address:
    for field, value in changes.items():
        setattr(address, field, value)
    return save_address(address)


def delete_address(address: Address) -> None:
    with transaction.atomic():
        customer_id, address_id = address.customer_id, address.id
        address.delete()
        publish(CustomerAddressDeleted(customer_id=customer_id, address_id=address_id))


# --- staff ----------------------------------------------------------------------------


def grant_role(user: User, role: str) -> User:
    """Give the user a staff role (flowmart.common.roles) and the admin login that goes with
    it. The groups come from migration 0003; one missing (a database built without
    migrations) is created bare."""
    if role not in roles.ROLES:
        raise InvalidRequest(f"Unknown role {role!r}.", fields={"role": [f"One of: {', '.join(roles.ROLES)}."]})
    with transaction.atomic():
        group, _ = Group.objects.get_or_create(name=role)
        user.groups.add(group)
        if not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
    return user


def create_staff_user(*, email: str, password: str, role: str, first_name: str = "", last_name: str = "") -> User:
    """A new staff account with its role. Seller staff still need their sellers (catalog's
    memberships, `manage.py seller_staff add`) before they can see anything."""
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise InvalidRequest(
            "The email address is invalid.", fields={"email": ["Enter a valid email address."]}
        ) from None
    if User.objects.filter(email=email).exists():
        raise Conflict(f"{email} has an account already.", fields={"email": [EMAIL_TAKEN]})
    candidate = User(email=email, first_name=first_name, last_name=last_name)
    try:
        validate_password(password, candidate)
    except ValidationError as exc:
        raise InvalidRequest("The password is too weak.", fields={"password": list(exc.messages)}) from None
    try:
        with transaction.atomic():
            user = User.objects.create_user(email=email, password=password, first_name=first_name, last_name=last_name)
            return grant_role(user, role)
    except IntegrityError:
        raise Conflict(f"{email} has an account already.", fields={"email": [EMAIL_TAKEN]}) from None


def hand_over_guest_cart(customer_id: int, cart_token: str) -> None:
    """The customer signed in (or registered) with a guest cart's X-Cart-Token: orders merges
    that cart into theirs. Customers never looks at carts; it only says who holds the token."""
    token = (cart_token or "").strip()
    if not token or len(token) > 64:
        return
    with transaction.atomic():
        publish(CustomerSignedIn(customer_id=customer_id, cart_token=token))
