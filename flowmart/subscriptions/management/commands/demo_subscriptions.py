"""Seed Subscribe & Save plans on several demo products. Idempotent.

Runs after demo_catalog (flowmart.common.management.commands.demo_data), when subscriptions'
copy of the variants has been filled from ProductPublished: plans are made from that copy,
never from the catalogue's tables."""

from django.core.management.base import BaseCommand
from django.db import transaction

from flowmart.subscriptions.models import Plan, Variant

PRODUCTS = 4  # the first products (by id) get plans
OFFERS = [  # (interval, count, discount %, minimum cycles)
    ("month", 1, 10, None),
    ("week", 2, 15, 2),
]


class Command(BaseCommand):
    help = "Load demo subscription plans (monthly 10 % off, every 2 weeks 15 % off) on several products."

    def handle(self, *args, **options):
        product_ids = sorted(set(Variant.objects.filter(active=True).values_list("product_id", flat=True)))[:PRODUCTS]
        made = 0
        with transaction.atomic():
            for product_id in product_ids:
                variant = Variant.objects.filter(product_id=product_id, active=True).order_by("sku").first()
                for interval, count, discount, minimum in OFFERS:
                    unit = interval if count == 1 else f"{count} {interval}s"
                    _, created = Plan.objects.get_or_create(
                        sku=variant.sku,
                        interval=interval,
                        interval_count=count,
                        defaults={
                            "name": f"{variant.product_name}: every {unit}, {discount} % off",
                            "product_id": variant.product_id,
                            "seller_id": variant.seller_id,
                            "discount_percent": discount,
                            "min_cycles": minimum,
                        },
                    )
                    made += created
        self.stdout.write(f"{made} subscription plan(s) created on {len(product_ids)} product(s)")
