"""Seed Subscribe & Save plans on several demo products. Idempotent.

Runs after demo_catalog (flowmart.common.management.commands.demo_data), when subscriptions'
copy of the variants has been filled from ProductPublished: plans are made from that copy,
never from the catalogue's tables."""

from django.core.management.base import BaseCommand
from django.db import transaction

from flowmart.common import demo
from flowmart.subscriptions.models import Plan, Variant

PRODUCTS = 4  # products that get plans: those best stocked in the US
OFFERS = [  # (interval, count, discount %, minimum cycles)
    ("month", 1, 10, None),
    ("week", 2, 15, 2),
]


class Command(BaseCommand):
    help = "Load demo subscription plans (monthly 10 % off, every 2 weeks 15 % off) on several products."

    def handle(self, *args, **options):
        # Per demo product, the variant with the most US stock (the demo spec says how much each has),
        # so the demo customer's first order can be filled.
        best = {}
        for product in demo.products():
            top = max(product["variants"], key=lambda v: v["stock"]["US-EAST"])
            best[top["sku"]] = top["stock"]["US-EAST"]
        variants = {v.sku: v for v in Variant.objects.filter(sku__in=best, active=True)}
        chosen = sorted(variants.values(), key=lambda v: (-best[v.sku], v.product_id))[:PRODUCTS]
        made = 0
        with transaction.atomic():
            for variant in chosen:
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
        self.stdout.write(f"{made} subscription plan(s) created on {len(chosen)} product(s)")
