"""Reads of the customers context."""

from django.db.models import QuerySet

from .models import Address, User


def addresses_of(customer: User) -> QuerySet[Address]:
    """A customer's own address book; anyone else's entries simply do not exist here."""
    return Address.objects.filter(customer=customer).order_by("id")


def email_taken(email: str) -> bool:
    return User.objects.filter(email__iexact=email.strip()).exists()
