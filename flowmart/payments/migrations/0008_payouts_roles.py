"""The settlement screens in the staff roles: operations view, add and change sellers'
payment accounts (commission), KYC decisions and payouts (the bank transfer mark); seller
staff view their own (the admin cuts them to their sellers: SellerScopedMixin)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

OPERATIONS = {"selleraccount": ("view", "change"), "kycdecision": ("view", "add"), "payout": ("view", "add")}
SELLER_STAFF = {"selleraccount": ("view",), "kycdecision": ("view",), "payout": ("view",)}


def grant(apps, schema_editor=None):
    app_config = apps.get_app_config("payments")
    had_models = getattr(app_config, "models_module", None)
    app_config.models_module = True  # create_permissions skips app configs without models
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = had_models
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, wanted in (("operations", OPERATIONS), ("seller staff", SELLER_STAFF)):
        group = Group.objects.filter(name=group_name).first()
        if group is None:
            continue  # the roles are made by customers' migrations; a fresh database gets these there
        codenames = [f"{verb}_{model}" for model, verbs in wanted.items() for verb in verbs]
        group.permissions.add(*Permission.objects.filter(content_type__app_label="payments", codename__in=codenames))


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0007_payouts"),
        ("customers", "0007_backoffice"),  # the role groups exist
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
