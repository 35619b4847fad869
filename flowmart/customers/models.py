"""Customer accounts (email is the login, unique case-insensitively) and API tokens."""

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone

from flowmart.common.countries import validate_country_code


class CustomerManager(UserManager):
    def _create_user(self, username, email, password, **extra_fields):
        email = (email or "").strip().lower()
        user = self.model(email=email, **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email=None, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(None, email, password, **extra_fields)

    def create_superuser(self, email=None, password=None, **extra_fields):
        extra_fields.update(is_staff=True, is_superuser=True)
        return self._create_user(None, email, password, **extra_fields)

    def get_by_natural_key(self, email):
        return self.get(email=(email or "").strip().lower())


# E.164: a plus, the country code and the subscriber number, 8 to 15 digits in all.
validate_phone = RegexValidator(r"^\+[1-9]\d{7,14}$", "Give the number in international form, e.g. +15555550100.")


def locale_choices():
    return list(settings.LANGUAGES)


class User(AbstractUser):
    username = None
    # Stored lower-cased, so the unique index makes emails case-insensitively unique.
    email = models.EmailField("email address", unique=True)
    # Where SMS go (E.164), and the language messages are written in.
    phone = models.CharField(max_length=16, blank=True, validators=[validate_phone])
    locale = models.CharField(max_length=8, default="en", choices=locale_choices)
    # Privacy (docs/privacy.md): when the account was closed (deactivated), which starts the
    # retention clock, and when its personal data was erased (then it is a shell for accounting).
    closed_at = models.DateTimeField(null=True, blank=True)
    erased_at = models.DateTimeField(null=True, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []
    objects = CustomerManager()

    def save(self, *args, **kwargs):
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)

    def __str__(self):
        return self.email


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A Bearer token. Only its hash is stored; it can be revoked and it expires."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"token of {self.user} until {self.expires_at:%Y-%m-%d}"

    @classmethod
    def issue(cls, user) -> tuple["ApiToken", str]:
        raw = secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user, key_hash=hash_token(raw), expires_at=timezone.now() + settings.API_TOKEN_TTL
        )
        return token, raw

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class Address(models.Model):
    """One entry of a customer's address book (country: ISO 3166-1 alpha-2)."""

    customer = models.ForeignKey(User, on_delete=models.CASCADE, related_name="addresses")
    name = models.CharField(max_length=200)
    line1 = models.CharField(max_length=200)
    line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100)
    postal_code = models.CharField(max_length=20)
    country = models.CharField(max_length=2, validators=[validate_country_code])
    phone = models.CharField(max_length=30, blank=True)
    # State or province (ISO 3166-2 part after the country), where tax rates differ within a country.
    region = models.CharField(max_length=3, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "addresses"

    def __str__(self):
        return f"{self.name}, {self.line1}, {self.city} {self.country}"


class AccountToken(models.Model):
    """A single-use, expiring token mailed to the customer (password reset, email change
    confirmation). Only its SHA-256 is stored: the database alone cannot produce a working link."""

    class Purpose(models.TextChoices):
        PASSWORD_RESET = "password_reset", "password reset"
        EMAIL_CHANGE = "email_change", "email change"
        ERASURE = "erasure", "erasure confirmation"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="account_tokens")
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    new_email = models.EmailField(blank=True, help_text="For an email change: the address being confirmed.")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True, help_text="Used, or made void by a later change.")

    class Meta:
        indexes = [models.Index(fields=["user", "purpose"], name="customers_acctoken_user_idx")]

    def __str__(self):
        return f"{self.get_purpose_display()} of {self.user} until {self.expires_at:%Y-%m-%d %H:%M}"

    @classmethod
    def issue(cls, user, purpose: str, ttl, **fields) -> tuple["AccountToken", str]:
        raw = secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user, purpose=purpose, token_hash=hash_token(raw), expires_at=timezone.now() + ttl, **fields
        )
        return token, raw


class StaffAccessRecord(models.Model):
    """Staff saw a customer's personal data in the admin (a customer's page, an order showing
    addresses, an export): who, when, what. Written through flowmart.common.privacy by every
    context's admin; append-only, listed for superusers."""

    staff_id = models.BigIntegerField(null=True)
    staff_email = models.CharField(max_length=254)
    customer_id = models.BigIntegerField(null=True, db_index=True)
    context = models.CharField(max_length=30, help_text="The context whose admin showed it.")
    what = models.CharField(max_length=100, help_text='e.g. "customer page", "order page", "export"')
    object_ref = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "staff access to personal data"
        verbose_name_plural = "staff access to personal data"

    def __str__(self):
        return f"{self.staff_email} saw {self.what} of customer {self.customer_id} at {self.at:%Y-%m-%d %H:%M}"
