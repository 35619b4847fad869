"""`manage.py republish_catalog`: tell every subscriber the whole catalogue again.

Publishes ProductPublished for every sellable product and SellerStaffChanged for every
staff user who works for a seller. Both are sent whole and every subscriber treats them
as upserts, so this is safe to run at any time; run it once after a release that adds a
subscriber to them (e.g. inventory's and shipping's seller projections), so the new
projection learns what was published before it existed."""

from django.core.management.base import BaseCommand
from django.db import transaction

from ... import services
from ...models import Product, SellerMember


class Command(BaseCommand):
    help = "Publish every sellable product and every seller membership again (idempotent upserts)."

    def handle(self, *args, **options):
        products = 0
        for product in Product.objects.filter(active=True).order_by("pk").iterator():
            with transaction.atomic():
                services.record_change(product, services.state_of(product))
            products += 1
        users = sorted(set(SellerMember.objects.values_list("user_id", flat=True)))
        services.announce_seller_staff(users)
        self.stdout.write(f"Published {products} products and the sellers of {len(users)} staff users")
