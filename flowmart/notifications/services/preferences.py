"""Customers' choices: which channels and categories of non-essential messages they want.

Essential messages (order, payment, security, subscription) always go by email; SMS and
push need the customer's opt-in for that channel (`sms`, `push`) whatever the message.
Optional categories also need their own switch on (see catalogue.CATEGORIES)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from ..catalogue import CATEGORIES, EMAIL, OPTIONAL_CATEGORIES, PUSH, SMS, MessageType
from ..models import Preference


def get(customer_id: int) -> Preference:
    """The stored preferences, or the defaults (unsaved) when the customer never chose."""
    return Preference.objects.filter(customer_id=customer_id).first() or Preference(customer_id=customer_id)


def categories_of(pref: Preference) -> dict[str, bool]:
    """Every optional category with its current setting (stored or default)."""
    return {name: bool(pref.categories.get(name, CATEGORIES[name].default)) for name in OPTIONAL_CATEGORIES}


def channels_for(customer_id: int | None, kind: MessageType, pref: Preference | None = None) -> set[str]:
    """The channels this customer gets this kind of message on (before contact details);
    `pref`: their preferences when the caller read them already (unsaved defaults if none)."""
    if pref is None:
        pref = get(customer_id) if customer_id is not None else Preference()
    wanted = set()
    category_on = kind.essential or categories_of(pref)[kind.category]
    for channel in kind.channels:
        if channel == EMAIL and (kind.essential or (pref.email and category_on)):
            wanted.add(EMAIL)
        elif channel == SMS and pref.sms and category_on:
            wanted.add(SMS)
        elif channel == PUSH and pref.push and category_on:
            wanted.add(PUSH)
    return wanted


def update(customer_id: int, *, email: bool, sms: bool, push: bool, categories: dict | None = None) -> Preference:
    """PUT semantics for the channel switches; `categories` changes only the ones it names."""
    with transaction.atomic():
        pref, _ = Preference.objects.select_for_update().get_or_create(customer_id=customer_id)
        pref.email, pref.sms, pref.push = email, sms, push
        pref.categories = {**pref.categories, **(categories or {})}
        pref.updated_at = timezone.now()
        pref.save()
    return pref


def unsubscribe(customer_id: int, category: str) -> Preference:
    """One-click unsubscribe: this optional category off, on every channel."""
    with transaction.atomic():
        pref, _ = Preference.objects.select_for_update().get_or_create(customer_id=customer_id)
        pref.categories = {**pref.categories, category: False}
        pref.updated_at = timezone.now()
        pref.save(update_fields=["categories", "updated_at"])
    return pref
