"""`manage.py demo_inventory`: the demo warehouses and their stock, received through the
receive service so the InventoryAdjusted events reach the availability projections.
Idempotent: a (sku, warehouse) that already has its demo receipt is left alone."""

from decimal import Decimal

from django.core.management.base import BaseCommand

from flowmart.common import demo
from flowmart.inventory import services
from flowmart.inventory.models import StockMovement, Warehouse

REFERENCE = "demo"


class Command(BaseCommand):
    help = "Create the demo warehouses and receive the demo stock (idempotent)."

    def handle(self, *args, **options):
        for spec in demo.WAREHOUSES:
            Warehouse.objects.update_or_create(
                code=spec["code"],
                defaults={
                    "name": spec["name"],
                    "country": spec["country"],
                    "latitude": Decimal(spec["latitude"]),
                    "longitude": Decimal(spec["longitude"]),
                },
            )
        done = set(
            StockMovement.objects.filter(kind=StockMovement.Kind.RECEIVE, reference=REFERENCE).values_list(
                "sku", "warehouse__code"
            )
        )
        received = 0
        for product in demo.products():
            for variant in product["variants"]:
                for code, quantity in variant["stock"].items():
                    if quantity <= 0 or (variant["sku"], code) in done:
                        continue
                    services.receive_stock(
                        sku=variant["sku"],
                        warehouse_code=code,
                        quantity=quantity,
                        reason="demo stock",
                        reference=REFERENCE,
                    )
                    received += 1
        self.stdout.write(f"inventory: {len(demo.WAREHOUSES)} warehouses, {received} demo receipts made")
