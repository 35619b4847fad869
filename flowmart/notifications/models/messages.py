"""Message: one notification to one recipient on one channel, and its whole story.

Rows are written by event handlers (status `pending`) in the subscriber's transaction and
sent after commit by a Celery task, outside any transaction: a slow provider never holds a
lock. The retry schedule lives here (`next_attempt_at`), not in Celery countdowns.
"""

from django.db import models
from django.utils import timezone


class Message(models.Model):
    class Channel(models.TextChoices):
        EMAIL = "email"
        SMS = "sms"
        PUSH = "push"

    class Status(models.TextChoices):
        PENDING = "pending"  # waiting to be sent (first try or a retry at next_attempt_at)
        SENDING = "sending"  # claimed by a worker, the provider call is under way
        SENT = "sent"
        FAILED = "failed"  # gave up: see `error`
        SUPPRESSED = "suppressed"  # deliberately not sent: see `suppressed_reason`

    class Audience(models.TextChoices):
        CUSTOMER = "customer"
        SELLER = "seller"
        OPERATIONS = "operations"

    # What makes a message unique: the event (or digest period, or resend) it comes from,
    # who gets it, how, and which message it is. A redelivered or replayed event, or two
    # workers handling it at once, hit the unique constraint instead of sending twice.
    source_key = models.CharField(max_length=150, help_text="The event id, digest period or resend it comes from.")
    recipient_key = models.CharField(max_length=150)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    message_type = models.CharField("template", max_length=50, db_index=True)

    event_name = models.CharField(max_length=100, blank=True)
    correlation_id = models.CharField(max_length=100, blank=True)
    category = models.CharField(max_length=30)
    audience = models.CharField(max_length=20, choices=Audience.choices, default=Audience.CUSTOMER)
    customer_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    seller_id = models.BigIntegerField(null=True, blank=True)
    to = models.CharField(max_length=1000, blank=True, help_text="Email address, phone number or push endpoint.")
    push_subscription = models.ForeignKey(
        "notifications.PushSubscription", null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    locale = models.CharField(max_length=8, default="en")
    context = models.JSONField(default=dict, help_text="The data the templates render.")
    subject = models.CharField(max_length=255, blank=True)

    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    suppressed_reason = models.CharField(max_length=255, blank=True)
    provider_message_id = models.CharField(max_length=255, blank=True)

    resend_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="resends")
    requested_by = models.CharField(max_length=254, blank=True, help_text="The staff user who asked for a resend.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source_key", "recipient_key", "channel", "message_type"], name="message_once"
            ),
        ]
        indexes = [
            models.Index(fields=["customer_id", "-id"], name="message_customer_idx"),
            # The sweep's two questions: which pending messages are due, which claims went stale?
            models.Index(fields=["next_attempt_at"], condition=models.Q(status="pending"), name="message_due_idx"),
            models.Index(fields=["claimed_at"], condition=models.Q(status="sending"), name="message_sending_idx"),
        ]

    def __str__(self):
        return f"{self.message_type} → {self.recipient_key} by {self.channel} ({self.status})"
