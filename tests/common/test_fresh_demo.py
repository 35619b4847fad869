"""`make run` on a fresh machine: migrate a new SQLite database (which makes the staff role
groups) and load the demo data, in the embedded default, as separate processes."""

import json
import subprocess
import sys

from .test_settings import ROOT, clean_env, manage

CHECK = """
import json, django
django.setup()
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from flowmart.common import roles
from flowmart.inventory.models import SellerSku, SellerStaff
from flowmart.shipping.models import SellerStaff as ShippingStaff
users = get_user_model().objects
seller = users.get(email="kettle-and-co@flowmart.local")
print(json.dumps({
    "admin_superuser": users.get(email="admin@flowmart.local").is_superuser,
    "seller_staff": roles.is_seller_staff(seller),
    "seller_groups": sorted(seller.groups.values_list("name", flat=True)),
    "inventory_sellers": SellerStaff.seller_ids_of(seller),
    "shipping_sellers": ShippingStaff.seller_ids_of(seller),
    "inventory_skus": SellerSku.objects.count(),
    "groups_with_permissions": sorted(
        g.name for g in Group.objects.all() if g.permissions.exists()
    ),
}))
"""


def test_migrate_and_demo_data_on_a_fresh_sqlite_database(tmp_path):
    env = clean_env(DATABASE_URL=f"sqlite:///{tmp_path / 'fresh.sqlite3'}", MEDIA_ROOT=str(tmp_path / "media"))

    for step in (("migrate", "--noinput"), ("demo_data",)):
        result = manage(*step, env=env)
        assert result.returncode == 0, result.stdout + result.stderr

    found = subprocess.run(
        [sys.executable, "-c", CHECK], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert found.returncode == 0, found.stderr
    facts = json.loads(found.stdout.strip().splitlines()[-1])
    assert facts["admin_superuser"] and facts["seller_staff"]
    assert facts["seller_groups"] == ["seller staff"]
    assert len(facts["inventory_sellers"]) == 1 and facts["shipping_sellers"] == facts["inventory_sellers"]
    assert facts["inventory_skus"] == 126
    assert facts["groups_with_permissions"] == ["operations", "seller staff"]
