"""Seed the demo rate table: four zones, "standard" (postal) and "express" (courier),
four weight bands in USD. Idempotent: a second run changes no row and publishes
nothing, unless the table was never published."""

from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import transaction

from flowmart.common.money import Money
from flowmart.shipping import services

EU = [
    *("AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE"),
    *("IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE"),
]
ZONES = {"domestic-US": ["US"], "EU": EU, "UK": ["GB"], "rest-of-world": ["*"]}
METHODS = [  # code, name, carrier, estimated days
    ("standard", "Standard post", "postal", 5),
    ("express", "Express courier", "courier", 2),
]
BANDS = [500, 2000, 5000, 20000]
PRICES = {  # (method, zone): price per band, USD
    ("standard", "domestic-US"): ["4.95", "7.95", "12.95", "24.95"],
    ("standard", "EU"): ["9.95", "14.95", "24.95", "49.95"],
    ("standard", "UK"): ["8.95", "13.95", "22.95", "44.95"],
    ("standard", "rest-of-world"): ["14.95", "24.95", "39.95", "79.95"],
    ("express", "domestic-US"): ["12.95", "16.95", "24.95", "44.95"],
    ("express", "EU"): ["24.95", "34.95", "49.95", "89.95"],
    ("express", "UK"): ["22.95", "32.95", "46.95", "84.95"],
    ("express", "rest-of-world"): ["34.95", "49.95", "74.95", "139.95"],
}


class Command(BaseCommand):
    help = "Load the demo shipping zones, methods and rates, and publish the rate table."

    def handle(self, *args, **options):
        with transaction.atomic():
            changed = False
            for name, countries in ZONES.items():
                changed |= services.save_zone(name=name, countries=countries, publish_change=False)[1]
            for code, name, carrier, days in METHODS:
                changed |= services.save_method(
                    code=code, name=name, carrier=carrier, estimated_days=days, publish_change=False
                )[1]
            for (method, zone), prices in PRICES.items():
                for band, price in zip(BANDS, prices, strict=True):
                    changed |= services.set_rate(
                        method_code=method,
                        zone_name=zone,
                        max_weight_grams=band,
                        price=Money(Decimal(price), "USD"),
                        publish_change=False,
                    )[1]
            if changed or services.current_revision() == 0:
                revision = services.publish_rate_table()
                self.stdout.write(f"shipping rate table published (revision {revision})")
            else:
                self.stdout.write("shipping rate table unchanged")
