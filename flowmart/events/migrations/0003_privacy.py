"""An index for an erased customer's events (events.redaction.redact_customer,
docs/privacy.md): the outbox events naming the customer in their payload
(`payload -> 'customer_id'`). Built CONCURRENTLY on PostgreSQL like 0002's."""

import importlib

import django.db.models.fields.json
from django.db import migrations, models

story_index = importlib.import_module("flowmart.events.migrations.0002_story_index")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("events", "0002_story_index"),
    ]

    operations = [
        story_index.AddIndexConcurrentlyOnPostgres(
            model_name="outboxevent",
            index=models.Index(
                django.db.models.fields.json.KeyTransform("customer_id", "payload"), name="outbox_customer_idx"
            ),
        ),
    ]
