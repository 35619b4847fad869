"""The back office's roles: the groups of 0003, with the seller screens added to `seller staff`.

- operations: as in 0003 (view, add and change everything of the contexts they run,
  recomputed so the new models, e.g. orders' staff actions, are included).
- seller staff: their catalogue (products, variants), their order lines, their stock
  (view, receive and adjust) with reservations and the ledger, and the shipments and
  returns holding their SKUs. The admin cuts every one of these screens to the user's
  sellers (flowmart.common.admin.SellerScopedMixin); never users, payments or customers.
"""

import importlib

from django.db import migrations

roles_0003 = importlib.import_module("flowmart.customers.migrations.0003_staff_roles")

SELLER_STAFF_MORE = {
    "orders": ["view_orderline"],
    "inventory": ["view_stocklevel", "add_stocklevel", "change_stocklevel", "view_stockmovement", "view_reservation"],
    "shipping": ["view_shipment", "view_return"],
}


def create_roles(apps, schema_editor=None):
    roles_0003.create_roles(apps, schema_editor)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    seller_staff = Group.objects.get(name=roles_0003.SELLER_STAFF)
    for app_label, codenames in SELLER_STAFF_MORE.items():
        seller_staff.permissions.add(
            *Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0005_account_recovery"),
        ("orders", "0007_backoffice"),
        ("inventory", "0003_seller_scoping"),
        ("shipping", "0004_easypost"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
