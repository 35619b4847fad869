"""Load the demo shop. Idempotent: running it twice leaves the same data.

Each context seeds its own part through its own `demo_<context>` command; this
command only runs them in an order where the events between them make sense.
"""

from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand

STEPS = ["demo_customers", "demo_shipping", "demo_inventory", "demo_catalog", "demo_subscriptions", "demo_promotions"]


class Command(BaseCommand):
    help = "Load the demo shop (sellers, products, warehouses, stock, rates, users)."

    def handle(self, *args, **options):
        available = get_commands()
        for step in STEPS:
            if step in available:
                self.stdout.write(f"→ {step}")
                call_command(step)
        self.stdout.write(self.style.SUCCESS("Demo data ready. Try http://127.0.0.1:8000/api/docs/"))
