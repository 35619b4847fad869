"""The staff roles (flowmart.common.roles) as groups, with the admin permissions that fit
them today. The back office refines the permissions in later migrations.

- operations: view, add and change everything of the contexts they run (catalogue,
  stock, orders, payments, shipping, the event outbox), read customers, fix addresses and
  revoke tokens. Never users, groups or permissions: those stay with superusers, so no
  one grants themselves more.
- seller staff: their catalogue (products and variants, which the admin scopes to their
  sellers). Stock, orders and parcels of their sellers come through the API (scoped to
  their SKUs) until the seller screens of the admin exist.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

OPERATIONS = "operations"
SELLER_STAFF = "seller staff"
OPERATIONS_APPS = ["catalog", "inventory", "orders", "payments", "shipping", "events"]
OPERATIONS_CUSTOMERS = ["view_user", "view_address", "add_address", "change_address", "view_apitoken", "change_apitoken"]
SELLER_STAFF_CATALOG = ["view_product", "add_product", "change_product", "view_variant", "add_variant", "change_variant"]


def create_roles(apps, schema_editor=None):
    # Permissions are normally made after the whole migrate run; make them now, so they can be granted here.
    for app_config in apps.get_app_configs():
        had_models = getattr(app_config, "models_module", None)
        app_config.models_module = True  # create_permissions skips app configs without models
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = had_models
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    operations, _ = Group.objects.get_or_create(name=OPERATIONS)
    everyday = Permission.objects.filter(content_type__app_label__in=OPERATIONS_APPS).exclude(
        codename__startswith="delete_"
    )
    customers = Permission.objects.filter(content_type__app_label="customers", codename__in=OPERATIONS_CUSTOMERS)
    operations.permissions.set([*everyday, *customers])

    seller_staff, _ = Group.objects.get_or_create(name=SELLER_STAFF)
    seller_staff.permissions.set(
        Permission.objects.filter(content_type__app_label="catalog", codename__in=SELLER_STAFF_CATALOG)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0002_address"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("catalog", "0002_product_image_url_validation"),
        ("inventory", "0002_movement_append_only"),
        ("orders", "0004_order_dispute_hold"),
        ("payments", "0003_webhook_raw_body"),
        ("shipping", "0001_initial"),
        ("events", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
