"""The stock-movement ledger is append-only in the database too: on PostgreSQL a trigger
refuses UPDATE and DELETE of its rows, whatever code (or person with psql) tries."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION inventory_movement_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'inventory_stockmovement is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER inventory_movement_append_only BEFORE UPDATE OR DELETE ON inventory_stockmovement
    FOR EACH ROW EXECUTE FUNCTION inventory_movement_append_only();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS inventory_movement_append_only ON inventory_stockmovement;
DROP FUNCTION IF EXISTS inventory_movement_append_only();
"""


def _run(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":  # the embedded SQLite default relies on the model guard
            schema_editor.execute(sql, params=None)  # no placeholders: "%" is plpgsql format syntax

    return run


class Migration(migrations.Migration):
    dependencies = [("inventory", "0001_initial")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
