"""Outbox, deliveries and inbox: the durable half of the dispatcher.

- OutboxEvent: every published event, written in the publisher's transaction.
  Append-only; it is also the audit trail (query it by correlation id).
- Delivery: one row per (event, subscriber), also written at publish time. Its
  status and `next_attempt_at` are the retry schedule, kept in the database so
  no long Celery countdown can outlive the broker's visibility timeout.
- InboxRecord: written in the subscriber's own transaction; its unique key makes
  a redelivered event a no-op.
"""

from django.db import models
from django.db.models import F
from django.db.models.fields.json import KeyTransform
from django.utils import timezone


class OutboxEvent(models.Model):
    event_id = models.UUIDField(unique=True)
    name = models.CharField(max_length=100, db_index=True)
    version = models.PositiveSmallIntegerField()
    publisher = models.CharField(max_length=50)
    correlation_id = models.CharField(max_length=100, db_index=True)
    causation_id = models.CharField(max_length=100, null=True, blank=True)
    occurred_at = models.DateTimeField()
    payload = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name = "outbox event"
        indexes = [
            # An order's event story (story.for_order): the events naming it, oldest first. The
            # expression is the one `payload__order_id=` compiles to (payload -> 'order_id').
            models.Index(KeyTransform("order_id", "payload"), F("id"), name="outbox_order_idx"),
            # An erased customer's events (redaction.redact_customer, docs/privacy.md).
            models.Index(KeyTransform("customer_id", "payload"), name="outbox_customer_idx"),
        ]

    def __str__(self):
        return f"{self.name} {self.event_id}"

    def to_event(self):
        from .base import Event

        return Event.from_dict(self.payload)


class Delivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        DONE = "done"
        DEAD = "dead"

    event = models.ForeignKey(OutboxEvent, on_delete=models.PROTECT, related_name="deliveries")
    subscriber = models.CharField(max_length=150)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [models.UniqueConstraint(fields=["event", "subscriber"], name="delivery_once_per_subscriber")]
        indexes = [
            # The sweep's question: which pending deliveries are due?
            models.Index(fields=["next_attempt_at"], condition=models.Q(status="pending"), name="delivery_due_idx"),
            models.Index(fields=["status"], condition=models.Q(status="dead"), name="delivery_dead_idx"),
        ]

    def __str__(self):
        return f"{self.subscriber} ← {self.event_id} ({self.status})"


class InboxRecord(models.Model):
    event_id = models.UUIDField()
    subscriber = models.CharField(max_length=150)
    processed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event_id", "subscriber"], name="inbox_once")]

    def __str__(self):
        return f"{self.subscriber} ✓ {self.event_id}"
