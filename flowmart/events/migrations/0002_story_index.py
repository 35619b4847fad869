"""An index for an order's event story (events.story.for_order): the outbox events naming
the order in their payload (`payload -> 'order_id'`), in id order.

The outbox takes every write of every context, so on PostgreSQL the index is built
CONCURRENTLY (no lock on inserts while it builds; hence a non-atomic migration). SQLite, the
embedded default, has no such thing and builds it plainly."""

import django.db.models.fields.json
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class AddIndexConcurrentlyOnPostgres(AddIndexConcurrently):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        return migrations.AddIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        return migrations.AddIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("events", "0001_initial"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name="outboxevent",
            index=models.Index(
                django.db.models.fields.json.KeyTransform("order_id", "payload"), models.F("id"), name="outbox_order_idx"
            ),
        ),
    ]
