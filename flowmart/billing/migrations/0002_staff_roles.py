"""The staff roles see billing's screens: operations every invoice and credit note, seller
staff those holding their lines (the admin cuts them, flowmart.common.admin.SellerScopedMixin).
Views only: documents are issued from events and never edited."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {
    "operations": ["view_invoice", "view_creditnote", "view_document"],
    "seller staff": ["view_invoice", "view_creditnote"],
}


def grant_billing_views(apps, schema_editor=None):
    billing = apps.get_app_config("billing")
    had_models = getattr(billing, "models_module", None)
    billing.models_module = True  # create_permissions skips app configs without models
    create_permissions(billing, apps=apps, verbosity=0)
    billing.models_module = had_models
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, codenames in GRANTS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        group.permissions.add(*Permission.objects.filter(content_type__app_label="billing", codename__in=codenames))


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0001_initial"),
        ("customers", "0007_backoffice"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant_billing_views, migrations.RunPython.noop)]
